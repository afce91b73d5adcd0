using System.Runtime.InteropServices;

namespace Zccache.Core.Hashing;

/// <summary>
/// What identifies a file's version without reading it: size, mtime, ctime and inode.
/// On Linux it comes from one statx(2) call; elsewhere from FileInfo (no inode or ctime).
/// </summary>
public sealed partial record FileStamp(long Size, long MtimeNs, long CtimeNs, ulong Inode)
{
    public static FileStamp? Read(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            try { return ReadLinux(path); }
            catch (EntryPointNotFoundException) { }
            catch (DllNotFoundException) { }
        }
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        return new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks * 100, 0, 0);
    }

    /// <summary>
    /// A folder's stamp: its mtime and ctime change whenever an entry is created, removed or renamed in it (and the ctime
    /// also when the mtime is set back by hand); null when it is not a folder. Elsewhere than Linux, the mtime alone.
    /// </summary>
    public static unsafe FileStamp? ReadFolder(string path)
    {
        if (!OperatingSystem.IsLinux())
            return Directory.Exists(path) ? new FileStamp(0, Directory.GetLastWriteTimeUtc(path).Ticks * 100, 0, 0) : null;
        byte* buf = stackalloc byte[256];
        if (statx(AtFdCwd, path, 0, StatxBasicStats, buf) != 0 || (*(ushort*)(buf + 28) & 0xF000) != 0x4000) return null;
        return new FileStamp(0, *(long*)(buf + 112) * 1_000_000_000L + *(uint*)(buf + 120),
            *(long*)(buf + 96) * 1_000_000_000L + *(uint*)(buf + 104), *(ulong*)(buf + 32));
    }

    /// <summary>True when there is an entry at <paramref name="path"/> of any kind, a dangling symbolic link included.</summary>
    public static unsafe bool EntryExists(string path)
    {
        if (!OperatingSystem.IsLinux()) return Path.Exists(path) || new FileInfo(path).LinkTarget is not null;
        byte* buf = stackalloc byte[256];
        return statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buf) == 0;
    }

    /// <summary>The inode of any kind of file (a socket, a folder), or null when there is none (Linux only).</summary>
    public static unsafe ulong? InodeOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        byte* buf = stackalloc byte[256];
        return statx(AtFdCwd, path, 0, StatxBasicStats, buf) == 0 ? *(ulong*)(buf + 32) : null;
    }

    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    // struct statx is 256 bytes with an architecture-independent layout.
    private static unsafe FileStamp? ReadLinux(string path)
    {
        byte* buf = stackalloc byte[256];
        if (statx(AtFdCwd, path, 0, StatxBasicStats, buf) != 0) return null;
        ushort mode = *(ushort*)(buf + 28);
        if ((mode & 0xF000) != 0x8000) return null; // not a regular file
        ulong inode = *(ulong*)(buf + 32);
        long size = *(long*)(buf + 40);
        long ctime = *(long*)(buf + 96) * 1_000_000_000L + *(uint*)(buf + 104);
        long mtime = *(long*)(buf + 112) * 1_000_000_000L + *(uint*)(buf + 120);
        return new FileStamp(size, mtime, ctime, inode);
    }
}
