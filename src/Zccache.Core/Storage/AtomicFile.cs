using System.Runtime.InteropServices;
using Zccache.Core.Hashing;

namespace Zccache.Core.Storage;

/// <summary>
/// The ways the cache writes a file so no reader ever sees half of it, and how it drops one. What
/// the cache writes is its owner's alone, whatever the umask: folders 0700, files 0600 (another
/// local user who could write in the cache could plant an object for every build to link).
/// </summary>
public static partial class AtomicFile
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Writes through a temporary file and one rename: readers see the old file or the new one.
    /// Owner-only unless <paramref name="ownerOnly"/> is false (a file for the user, such as the stats file).
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> data, bool ownerOnly = true)
    {
        string dir = Path.GetDirectoryName(path)!;
        if (ownerOnly) CreateFolder(dir);
        else Directory.CreateDirectory(dir);
        string temp = TempBeside(path);
        bool moved = false;
        try
        {
            using (var f = CreateNew(temp, ownerOnly)) f.Write(data);
            File.Move(temp, path, overwrite: true);
            moved = true;
        }
        finally
        {
            if (!moved) TryDelete(temp); // an unlink of a name that is gone still locks the folder
        }
    }

    /// <summary>A new file (never an existing one), owner-only unless <paramref name="ownerOnly"/> is false.</summary>
    public static FileStream CreateNew(string path, bool ownerOnly = true)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnlyFile;
        return new FileStream(path, options);
    }

    /// <summary>Creates a folder and its missing parents, owner-only (an existing one is left as it is).</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, OwnerOnlyFolder);
    }

    /// <summary>Deletes a file if it can; a leftover is harmless (staging is cleaned later).</summary>
    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Creates the file, whole, only if it does not exist yet: true for exactly one of several racing callers. Written
    /// beside and linked in: link(2) fails when the name exists, where a rename would replace it (File.Move without
    /// overwrite checks first and then renames), so a kill mid-write leaves a temporary file, never a torn file that
    /// every later caller would find taken. On Windows a move that does not replace does the same. Where link(2) fails for
    /// any other reason (a file system without hard links), the file is created in place, as before.
    /// </summary>
    public static bool TryCreateNew(string path, ReadOnlySpan<byte> data)
    {
        string temp = TempBeside(path);
        try
        {
            using (var f = CreateNew(temp)) f.Write(data);
            if (OperatingSystem.IsWindows())
            {
                try { File.Move(temp, path, overwrite: false); return true; }
                catch (IOException) when (File.Exists(path)) { return false; }
            }
            if (link(temp, path) == 0) return true;
            // NFS may answer a retried link that did succeed with EEXIST: then the name is this very file.
            if (Marshal.GetLastPInvokeError() == EExist) return FileStamp.Read(path) is { } linked && linked == FileStamp.Read(temp);
        }
        finally
        {
            TryDelete(temp);
        }
        return TryCreateNewInPlace(path, data);
    }

    private static bool TryCreateNewInPlace(string path, ReadOnlySpan<byte> data)
    {
        try
        {
            using var f = CreateNew(path);
            f.Write(data);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    /// <summary>
    /// A temporary name beside <paramref name="path"/>, naming this process. One a kill left in the store is collected with
    /// staging (<see cref="LocalStore.CleanStaging"/>); in a session folder it goes with the folder, and nothing reads it.
    /// </summary>
    private static string TempBeside(string path) => $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";

    private const int EExist = 17; // Linux, macOS and the BSDs alike

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string existing, string newPath);
}
