//! The demo's Rust part: a static library built by cargo through Exec, its rustc calls cached.

/// Formats `n` into `out` (at least 20 bytes); returns the length written.
#[no_mangle]
pub extern "C" fn demo_format(n: u64, out: *mut u8) -> usize {
    let mut buffer = itoa::Buffer::new();
    let text = buffer.format(n).as_bytes();
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), out, text.len()) };
    text.len()
}

/// The index of the first `x` in `text`, or -1.
pub fn find_x(text: &[u8]) -> isize {
    memchr::memchr(b'x', text).map_or(-1, |i| i as isize)
}
