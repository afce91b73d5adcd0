using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>rustc's command line, and the pipeline with the real rustc (from PATH, as cargo finds it).</summary>
public class RustcTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileHashMemo _memo = new();

    public void Dispose() => _dir.Dispose();

    private static readonly string Rustc = RealRustc();

    /// <summary>The toolchain's rustc, as cargo passes it to a wrapper (not rustup's proxy).</summary>
    private static string RealRustc()
    {
        var r = CompilerProcess.Run(CompilerIdentity.Resolve("rustc", "/") ?? throw new InvalidOperationException("rustc is not on PATH"),
            ["--print", "sysroot"], "/");
        return Path.Join(CompilerProcess.Text(r.Stdout).Trim(), "bin", "rustc");
    }

    // What cargo passes for a library crate (incremental off, as for registry crates).
    private string[] CargoArgs(string crate = "demo", string type = "lib", params string[] more) =>
    [
        "--crate-name", crate, "--edition=2021", "src/lib.rs", "--error-format=json",
        "--json=diagnostic-rendered-ansi,artifacts,future-incompat", "--crate-type", type, "--emit=dep-info,metadata,link",
        "-C", "embed-bitcode=no", "-C", "debuginfo=2", "-C", "metadata=0123abcd", "-C", "extra-filename=-0123abcd",
        "--out-dir", _dir["work/target/deps"], "-L", "dependency=" + _dir["work/target/deps"], .. more,
    ];

    private (CacheableCompile? Compile, NonCacheable? Why) Parse(params string[] args) =>
        RustcCommandLine.Parse(new CompileInvocation { Compiler = Rustc, Arguments = args, WorkingDirectory = _dir["work"] }, _memo);

    private CompileResult Compile(CompileCache cache, string[] args, Dictionary<string, string>? env = null)
    {
        Directory.CreateDirectory(_dir["work/target/deps"]); // cargo creates the out-dir before it calls rustc
        return cache.Compile(new CompileInvocation
        {
            Compiler = Rustc, Arguments = args, WorkingDirectory = _dir["work"],
            Environment = env
        });
    }

    private void Source(string relative, string text)
    {
        string path = _dir.Write(Path.Join("work", relative), text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public void A_cargo_library_call_names_its_outputs()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        var (c, why) = Parse(CargoArgs());
        Assert.Null(why);
        string deps = _dir["work/target/deps"];
        Assert.Equal(
            [("dep-info", deps + "/demo-0123abcd.d"), ("metadata", deps + "/libdemo-0123abcd.rmeta"),
                ("link-rlib", deps + "/libdemo-0123abcd.rlib")],
            c!.Outputs.Select(o => (o.Name, o.Path)));
        Assert.Equal(deps + "/demo-0123abcd.d", c.DependencyFile);
        var (s, _) = Parse(CargoArgs(type: "staticlib"));
        Assert.Contains(s!.Outputs, o => o.Name == "link-staticlib" && o.Path == deps + "/libdemo-0123abcd.a");
    }

    [Theory]
    [InlineData(NonCacheableReason.UnsupportedOption, "--emit=asm")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-o", "x")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-C", "split-debuginfo=packed")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-C", "save-temps")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-C", "link-arg=-Wl,-Map=out.map")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-Z", "pre-link-arg=-Wl,-Map=out.map")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-Zpre-link-args=-Wl,-Map=out.map")]
    [InlineData(NonCacheableReason.CrateType, "--crate-type", "bin", "--target", "x86_64-pc-windows-msvc")]
    [InlineData(NonCacheableReason.UnsupportedOption, "--crate-type", "bin", "-C", "linker=rust-lld")]
    [InlineData(NonCacheableReason.MissingInput, "--extern", "dep=/nonexistent/libdep.rlib")]
    [InlineData(NonCacheableReason.MultipleSources, "src/other.rs")]
    [InlineData(NonCacheableReason.BadResponseFile, "@missing.args")]
    public void Non_cacheable_rustc_calls_say_why(NonCacheableReason reason, params string[] extra)
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        var (c, why) = Parse(CargoArgs(more: extra));
        Assert.Null(c);
        Assert.Equal(reason, why!.Reason);
    }

    [Fact]
    public void A_call_without_a_crate_type_is_not_cached()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        Assert.Equal(NonCacheableReason.CrateType, Parse("--crate-name", "x", "src/lib.rs").Why!.Reason);
        Assert.Equal(NonCacheableReason.StdinSource, Parse("-", "--crate-name", "x", "--crate-type", "lib").Why!.Reason);
    }

    [Theory]
    [InlineData("-vV")]
    [InlineData("-", "--crate-name", "___", "--print=file-names", "--crate-type", "bin")]
    [InlineData("--print", "sysroot")]
    public void Queries_are_not_compiles(params string[] args) => Assert.True(RustcCommandLine.IsQuery(args));

    [Fact]
    public void An_extern_crate_enters_the_key_by_content()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        Source("deps/libdep.rmeta", "one");
        var (a, _) = Parse(CargoArgs(more: ["--extern", "dep=deps/libdep.rmeta"]));
        Source("deps/libdep.rmeta", "two");
        var (b, _) = Parse(CargoArgs(more: ["--extern", "dep=deps/libdep.rmeta"]));
        Assert.NotEqual(a!.Context.ContextKey(), b!.Context.ContextKey());
        Assert.Contains(a.Context.Flags, f => f.StartsWith("--extern dep=sha256:", StringComparison.Ordinal));
    }

    [Fact]
    public void Cargo_variables_enter_the_key_but_the_jobserver_does_not()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        CacheableCompile With(Dictionary<string, string> env) =>
            RustcCommandLine.Parse(new CompileInvocation
            {
                Compiler = Rustc, Arguments = CargoArgs(), WorkingDirectory = _dir["work"],
                Environment = env
            }, _memo).Compile!;
        var a = With(new() { ["CARGO_PKG_VERSION"] = "1.0.0", ["CARGO_MAKEFLAGS"] = "-j --jobserver-fds=6,7", ["HOME"] = "/a" });
        var b = With(new() { ["CARGO_PKG_VERSION"] = "1.0.0", ["CARGO_MAKEFLAGS"] = "-j --jobserver-fds=8,9", ["HOME"] = "/b" });
        var c = With(new() { ["CARGO_PKG_VERSION"] = "1.0.1" });
        Assert.Equal(a.KeyExtras, b.KeyExtras);
        Assert.NotEqual(a.KeyExtras, c.KeyExtras);
    }

    [Fact]
    public void Real_rustc_miss_then_hit_with_identical_outputs_and_replayed_diagnostics()
    {
        Source("src/lib.rs", "mod m;\npub fn f() -> u32 { let unused = 1; m::G }\n");
        Source("src/m.rs", "pub const G: u32 = 7;\n");
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var first = Compile(cache, CargoArgs());
        Assert.True(first.ExitCode == 0, Encoding.UTF8.GetString(first.Stderr));
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        string stderr = Encoding.UTF8.GetString(first.Stderr);
        Assert.Contains("unused variable", stderr);
        Assert.Contains("\"artifact\":", stderr);
        string deps = _dir["work/target/deps"];
        string[] outputs = [deps + "/libdemo-0123abcd.rlib", deps + "/libdemo-0123abcd.rmeta", deps + "/demo-0123abcd.d"];
        var bytes = outputs.Select(File.ReadAllBytes).ToList();
        Directory.Delete(deps, recursive: true);

        var second = Compile(cache, CargoArgs());
        Assert.Equal(OutcomeKind.Hit, second.Outcome.Kind);
        Assert.Equal(first.Stderr, second.Stderr);
        Assert.Equal(bytes, outputs.Select(File.ReadAllBytes).ToList());

        // A module (found through dep-info) changes: a miss.
        Source("src/m.rs", "pub const G: u32 = 8;\n");
        var third = Compile(cache, CargoArgs());
        Assert.Equal(OutcomeKind.Miss, third.Outcome.Kind);
        Assert.Equal("input_changed", third.Outcome.Reason);
    }

    [Fact]
    public void Cargo_check_emits_metadata_only_and_is_cached_too()
    {
        Source("src/lib.rs", "pub fn f() -> u32 { 7 }\n");
        string[] check = [.. CargoArgs().Select(a => a == "--emit=dep-info,metadata,link" ? "--emit=dep-info,metadata" : a)];
        var cache = CompileCache.Open(_dir["cache"], _memo);
        Assert.Equal(OutcomeKind.Miss, Compile(cache, check).Outcome.Kind);
        string rmeta = _dir["work/target/deps/libdemo-0123abcd.rmeta"];
        byte[] bytes = File.ReadAllBytes(rmeta);
        Assert.False(File.Exists(_dir["work/target/deps/libdemo-0123abcd.rlib"]));
        File.Delete(rmeta);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, check).Outcome.Kind);
        Assert.Equal(bytes, File.ReadAllBytes(rmeta));
        // A build (with link) is another key: it misses, then hits.
        Assert.Equal(OutcomeKind.Miss, Compile(cache, CargoArgs()).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, CargoArgs()).Outcome.Kind);
    }

    [Fact]
    public void Without_dep_info_rustc_is_asked_for_it_privately()
    {
        Source("src/lib.rs", "mod m;\npub fn f() -> u32 { m::G }\n");
        Source("src/m.rs", "pub const G: u32 = 1;\n");
        string[] linkOnly = [.. CargoArgs().Select(a => a == "--emit=dep-info,metadata,link" ? "--emit=link" : a)];
        var cache = CompileCache.Open(_dir["cache"], _memo);
        Assert.Equal(OutcomeKind.Miss, Compile(cache, linkOnly).Outcome.Kind);
        Assert.False(File.Exists(_dir["work/target/deps/demo-0123abcd.d"])); // the user did not ask for it
        Assert.Equal(OutcomeKind.Hit, Compile(cache, linkOnly).Outcome.Kind);
        Source("src/m.rs", "pub const G: u32 = 2;\n");
        Assert.Equal("input_changed", Compile(cache, linkOnly).Outcome.Reason);
    }

    [Fact]
    public void Variables_read_by_env_macros_are_checked_on_every_hit()
    {
        Source("src/lib.rs", "pub const V: Option<&str> = option_env!(\"ZC_TEST_VALUE\");\n");
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var env = TestEnvironment.With();
        env["ZC_TEST_VALUE"] = "one\nline two";
        Assert.Equal(OutcomeKind.Miss, Compile(cache, CargoArgs(), env).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, CargoArgs(), env).Outcome.Kind);
        env["ZC_TEST_VALUE"] = "two";
        var changed = Compile(cache, CargoArgs(), env);
        Assert.Equal(OutcomeKind.Miss, changed.Outcome.Kind);
        Assert.Equal("input_changed", changed.Outcome.Reason);
        env.Remove("ZC_TEST_VALUE");
        Assert.Equal(OutcomeKind.Miss, Compile(cache, CargoArgs(), env).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, CargoArgs(), env).Outcome.Kind);
    }

    [Fact]
    public void A_compile_error_runs_again_every_time_and_is_never_replayed()
    {
        Source("src/lib.rs", "pub fn f() -> u32 { \"no\" }\n");
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var first = Compile(cache, CargoArgs());
        Assert.NotEqual(0, first.ExitCode);
        var second = Compile(cache, CargoArgs());
        Assert.Equal((OutcomeKind.Miss, "no_dependency_info"), (second.Outcome.Kind, second.Outcome.Reason));
        Assert.Equal(first.ExitCode, second.ExitCode);
        Assert.Contains("mismatched types", CompilerProcess.Text(second.Stderr));
    }

    /// <summary>The dep-info of a failed rustc run leaves out the file it did
    /// not find: a stored failure would outlive the file's creation.</summary>
    [Theory]
    [InlineData("mod m;\npub fn f() -> u32 { m::G }\n", "src/m.rs", "pub const G: u32 = 1;\n")]
    [InlineData("pub const S: &str = include_str!(\"text.txt\");\n", "src/text.txt", "text\n")]
    public void A_compile_that_failed_for_want_of_a_file_compiles_once_the_file_is_there(string lib, string missing, string text)
    {
        Source("src/lib.rs", lib);
        var cache = CompileCache.Open(_dir["cache"], _memo);
        Assert.NotEqual(0, Compile(cache, CargoArgs()).ExitCode);
        Source(missing, text);
        var fixedNow = Compile(cache, CargoArgs());
        Assert.True(fixedNow.ExitCode == 0, CompilerProcess.Text(fixedNow.Stderr));
        Assert.Equal(OutcomeKind.Miss, fixedNow.Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, CargoArgs()).Outcome.Kind);
    }

    private string Deps(string file) => Path.Join(_dir["work/target/deps"], file);

    [Theory]
    [InlineData("bin", "link-bin", "demo-0123abcd")]
    [InlineData("proc-macro", "link-proc-macro", "libdemo-0123abcd.so")]
    [InlineData("cdylib", "link-cdylib", "libdemo-0123abcd.so")]
    [InlineData("dylib", "link-dylib", "libdemo-0123abcd.so")]
    public void A_linked_crate_is_a_link_step(string type, string name, string file)
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        var (c, why) = Parse(CargoArgs(type: type));
        Assert.Null(why);
        var output = Assert.Single(c!.Outputs, o => o.Name == name);
        Assert.Equal(Deps(file), output.Path);
        Assert.Equal("cc", c.Link!.Linker.Compiler);
        Assert.Null(Parse(CargoArgs()).Compile!.Link); // an rlib links nothing
        var (t, _) = Parse(CargoArgs(more: ["--test", "-C", "linker=/opt/x/bin/clang"]));
        Assert.Equal(Deps("demo-0123abcd"), Assert.Single(t!.Outputs, o => o.Name == "link-bin").Path);
        Assert.Equal("/opt/x/bin/clang", t.Link!.Linker.Compiler);
    }

    [Fact]
    public void Incremental_compiles_are_cached_with_their_folder_out_of_the_key()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        var one = Parse(CargoArgs(more: ["-C", "incremental=" + _dir["inc1"]])).Compile!;
        var two = Parse(CargoArgs(more: ["-C", "incremental=" + _dir["inc2"]])).Compile!;
        var off = Parse(CargoArgs()).Compile!;
        Assert.Equal(one.Context.ContextKey(), two.Context.ContextKey());
        Assert.NotEqual(one.Context.ContextKey(), off.Context.ContextKey()); // incremental output is its own entry
    }

    /// <summary>A static C library <c>lib{name}.a</c> in <paramref name="folder"/>
    /// whose function returns <paramref name="value"/>.</summary>
    private void NativeLibrary(string folder, string name, int value)
    {
        string c = _dir.Write($"{folder}/{name}.c", $"int native_value(void) {{ return {value}; }}\n");
        string o = Path.ChangeExtension(c, ".o"), a = Path.Join(Path.GetDirectoryName(c), $"lib{name}.a");
        File.Delete(a);
        Assert.Equal(0, CompilerProcess.Run(CompilerIdentity.Resolve("gcc", "/")!, ["-c", "-fPIC", c, "-o", o], "/").ExitCode);
        Assert.Equal(0, CompilerProcess.Run(CompilerIdentity.Resolve("ar", "/")!, ["rcsD", a, o], "/").ExitCode);
        File.SetLastWriteTimeUtc(a, DateTime.UtcNow.AddMinutes(-1));
    }

    private static int Run(string program) => CompilerProcess.Run(program, [], "/").ExitCode;

    [Fact]
    public void A_program_is_served_byte_identical_and_a_changed_native_library_or_a_new_one_before_it_is_a_miss()
    {
        Source("src/lib.rs", "extern \"C\" { fn native_value() -> i32; }\nfn main() { std::process::exit(unsafe { native_value() }) }\n");
        NativeLibrary("work/native", "nat", 7);
        string[] args = CargoArgs(type: "bin", more: ["-L", "native=native", "-l", "nat"]);
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var first = Compile(cache, args);
        Assert.True(first.Outcome.Kind == OutcomeKind.Miss, first.Outcome.Reason + Encoding.UTF8.GetString(first.Stderr));
        string program = Deps("demo-0123abcd");
        byte[] bytes = File.ReadAllBytes(program);
        Assert.Equal(7, Run(program));
        Assert.Empty(Directory.GetFiles(_dir["work/target/deps"], "*.rcgu.o")); // rustc's own objects were not left behind

        Directory.Delete(_dir["work/target/deps"], recursive: true);
        var hit = Compile(cache, args);
        Assert.Equal(OutcomeKind.Hit, hit.Outcome.Kind);
        Assert.Equal(bytes, File.ReadAllBytes(program));
        Assert.Equal(7, Run(program)); // delivered executable

        // The same bytes as rustc alone makes.
        string bare = _dir["bare"];
        Directory.CreateDirectory(bare);
        Assert.Equal(0, CompilerProcess.Run(Rustc, [.. args.Select(a => a == _dir["work/target/deps"] ? bare : a)], _dir["work"]).ExitCode);
        Assert.Equal(bytes, File.ReadAllBytes(Path.Join(bare, "demo-0123abcd")));

        // The library the linker read changes: a miss that names it, and a program that returns the new value.
        NativeLibrary("work/native", "nat", 9);
        var changed = Compile(cache, args);
        Assert.Equal(OutcomeKind.Miss, changed.Outcome.Kind);
        Assert.Equal(_dir["work/native/libnat.a"], changed.Outcome.ChangedInput);
        Assert.Equal(9, Run(program));
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args).Outcome.Kind);

        // A shared library beside it would be the one the linker takes.
        File.Copy(_dir["work/native/libnat.a"], _dir["work/native/libnat.so"]);
        Assert.Equal("include_shadowed", Compile(cache, args).Outcome.Reason);
    }

    [Fact]
    public void A_changed_linker_is_a_miss()
    {
        Source("src/lib.rs", "fn main() {}\n");
        string gcc = CompilerIdentity.Resolve("gcc", "/")!;
        string linker = _dir.Write("tools/cc", $"#!/bin/sh\nexec {gcc} \"$@\"\n");
        File.SetUnixFileMode(linker, (UnixFileMode)0b111_101_101);
        File.SetLastWriteTimeUtc(linker, DateTime.UtcNow.AddMinutes(-1));
        string[] args = CargoArgs(type: "bin", more: ["-C", "linker=" + linker]);
        var cache = CompileCache.Open(_dir["cache"], _memo);
        Assert.Equal(OutcomeKind.Miss, Compile(cache, args).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args).Outcome.Kind);
        File.WriteAllText(linker, $"#!/bin/sh\n# another linker\nexec {gcc} \"$@\"\n");
        File.SetLastWriteTimeUtc(linker, DateTime.UtcNow.AddMinutes(-1));
        var changed = Compile(cache, args);
        Assert.Equal(OutcomeKind.Miss, changed.Outcome.Kind);
        Assert.Equal("context_not_found", changed.Outcome.Reason);
    }

    [Fact]
    public void A_failed_link_runs_again_as_written_and_is_never_replayed()
    {
        Source("src/lib.rs", "fn main() {}\n");
        string[] args = CargoArgs(type: "bin", more: ["-l", "zc_no_such_library"]);
        var cache = CompileCache.Open(_dir["cache"], _memo);
        for (int i = 0; i < 2; i++)
        {
            var failed = Compile(cache, args);
            Assert.NotEqual(0, failed.ExitCode);
            Assert.Equal(OutcomeKind.NonCacheable, failed.Outcome.Kind);
            Assert.Equal("link_failed", failed.Outcome.Reason);
            string stderr = Encoding.UTF8.GetString(failed.Stderr);
            Assert.Contains("zc_no_such_library", stderr);
            Assert.DoesNotContain("--dependency-file", stderr); // the user's own command, not the cache's
        }
    }

    [Fact]
    public void A_proc_macro_and_a_cdylib_are_served_byte_identical()
    {
        var cache = CompileCache.Open(_dir["cache"], _memo);
        foreach (string type in new[] { "cdylib", "proc-macro" })
        {
            Source("src/lib.rs", type == "cdylib" ? "#[unsafe(no_mangle)] pub extern \"C\" fn add(a: i32, b: i32) -> i32 { a + b }\n"
                : "extern crate proc_macro;\n#[proc_macro]\n"
                    + "pub fn same(input: proc_macro::TokenStream) -> proc_macro::TokenStream { input }\n");
            string[] args = type == "proc-macro" ? CargoArgs(type: type, more: ["--extern", "proc_macro"]) : CargoArgs(type: type);
            var miss = Compile(cache, args);
            Assert.True(miss.Outcome.Kind == OutcomeKind.Miss, miss.Outcome.Reason + Encoding.UTF8.GetString(miss.Stderr));
            byte[] bytes = File.ReadAllBytes(Deps("libdemo-0123abcd.so"));
            Directory.Delete(_dir["work/target/deps"], recursive: true);
            Assert.Equal(OutcomeKind.Hit, Compile(cache, args).Outcome.Kind);
            Assert.Equal(bytes, File.ReadAllBytes(Deps("libdemo-0123abcd.so")));
        }
    }

    [Fact]
    public void An_incremental_compile_hits_after_its_folder_is_gone_with_identical_outputs()
    {
        Source("src/lib.rs", "fn main() { println!(\"hi\"); }\n");
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var miss = Compile(cache, CargoArgs(type: "bin", more: ["-C", "incremental=" + _dir["work/target/inc"]]));
        Assert.True(miss.Outcome.Kind == OutcomeKind.Miss, miss.Outcome.Reason + Encoding.UTF8.GetString(miss.Stderr));
        Assert.NotEmpty(Directory.GetFileSystemEntries(_dir["work/target/inc"]));
        byte[] bytes = File.ReadAllBytes(Deps("demo-0123abcd"));
        Directory.Delete(_dir["work/target"], recursive: true);
        Assert.Equal(OutcomeKind.Hit,
            Compile(cache, CargoArgs(type: "bin", more: ["-C", "incremental=" + _dir["work/target/inc2"]])).Outcome.Kind);
        Assert.Equal(bytes, File.ReadAllBytes(Deps("demo-0123abcd")));
    }
}
