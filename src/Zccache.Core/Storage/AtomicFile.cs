namespace Zccache.Core.Storage;

/// <summary>
/// The ways the cache writes a file so no reader ever sees half of it, and how it drops one. What
/// the cache writes is its owner's alone, whatever the umask: folders 0700, files 0600 (another
/// local user who could write in the cache could plant an object for every build to link).
/// </summary>
public static class AtomicFile
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
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var f = CreateNew(temp, ownerOnly)) f.Write(data);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
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

    /// <summary>Creates the file only if it does not exist yet: true for exactly one of several racing callers.</summary>
    public static bool TryCreateNew(string path, ReadOnlySpan<byte> data)
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
}
