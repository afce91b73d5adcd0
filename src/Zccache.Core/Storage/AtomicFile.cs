namespace Zccache.Core.Storage;

/// <summary>The two ways the cache writes a file so no reader ever sees half of it, and how it drops one.</summary>
public static class AtomicFile
{
    /// <summary>Writes through a temporary file and one rename: readers see the old file or the new one.</summary>
    public static void Write(string path, ReadOnlySpan<byte> data)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew)) f.Write(data);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
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
            using var f = new FileStream(path, FileMode.CreateNew);
            f.Write(data);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }
}
