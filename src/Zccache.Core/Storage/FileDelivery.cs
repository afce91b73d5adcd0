using System.Runtime.InteropServices;

namespace Zccache.Core.Storage;

/// <summary>
/// Puts a cached output in place: a reflink of the stored file where the file system allows
/// (Btrfs, XFS), else a write of the verified bytes. Always through a temporary file and a
/// rename, so a build never sees half an object; a new file has a fresh mtime.
/// </summary>
public static class FileDelivery
{
    /// <summary>
    /// Puts <paramref name="verifiedBytes"/> at <paramref name="destination"/>, <paramref name="executable"/> or not as
    /// the compiler wrote it (with the user's umask, as the compiler's own file would have). A file already there with
    /// exactly these bytes and that mode is left alone, mtime included, so a no-change build does not make downstream
    /// steps (a link with Inputs/Outputs) run again.
    /// </summary>
    public static void Deliver(string destination, byte[] verifiedBytes, string? storedFile, bool executable = false)
    {
        if (IsAlreadyInPlace(destination, verifiedBytes, executable)) return;
        string? dir = Path.GetDirectoryName(destination);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string temp = $"{destination}.zccache.{Guid.NewGuid():N}.tmp";
        bool moved = false;
        try
        {
            bool cloned = false;
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = executable ? AllExecutable : AllReadWrite; // less the umask
            using (var target = new FileStream(temp, options))
            {
                if (storedFile is not null && OperatingSystem.IsLinux() && !s_reflinkUnsupported)
                    cloned = TryReflink(storedFile, target);
                if (!cloned) target.Write(verifiedBytes);
            }
            if (cloned && new FileInfo(temp).Length != verifiedBytes.LongLength)
                File.WriteAllBytes(temp, verifiedBytes); // the stored file changed after verification: use what we verified
            File.Move(temp, destination, overwrite: true);
            moved = true;
        }
        finally
        {
            // Only a temporary file left behind: an unlink of a name that is gone still locks the folder, which the
            // other compiles of the batch deliver into.
            if (!moved) AtomicFile.TryDelete(temp);
        }
    }

    private const UnixFileMode AllReadWrite = (UnixFileMode)0b110_110_110, AllExecutable = (UnixFileMode)0b111_111_111;

    /// <summary>True when <paramref name="path"/> is runnable by its owner (never on Windows, where no mode says it).</summary>
    public static bool IsExecutable(string path) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;

    private static bool IsAlreadyInPlace(string destination, byte[] bytes, bool executable)
    {
        try
        {
            var info = new FileInfo(destination);
            return info.Exists && info.Length == bytes.LongLength && IsExecutable(destination) == executable
                && File.ReadAllBytes(destination).AsSpan().SequenceEqual(bytes);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private const ulong FICLONE = 0x40049409;

    // Set once the clone itself fails (the file system cannot reflink): later deliveries skip the attempt. A stored file
    // that cannot be opened (evicted meanwhile) says nothing about the file system.
    private static volatile bool s_reflinkUnsupported;

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(IntPtr fd, ulong request, IntPtr arg);

    private static bool TryReflink(string source, FileStream target)
    {
        FileStream src;
        try { src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } // gone meanwhile: copy this once
        using (src)
        {
            try
            {
                if (ioctl(target.SafeFileHandle.DangerousGetHandle(), FICLONE, src.SafeFileHandle.DangerousGetHandle()) == 0) return true;
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { }
            s_reflinkUnsupported = true;
            return false;
        }
    }
}
