namespace Zccache.Testing;

/// <summary>The files this test process holds open (Linux: <c>/proc/self/fd</c>), for tests that nothing is left open.</summary>
public static class OpenFiles
{
    /// <summary>The open files under <paramref name="dir"/>, by path.</summary>
    public static List<string> Under(string dir)
    {
        string prefix = Path.TrimEndingDirectorySeparator(dir) + "/";
        return
        [
            .. Directory.EnumerateFileSystemEntries("/proc/self/fd")
                .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } }) // closed meanwhile
                .OfType<string>().Where(target => target.StartsWith(prefix, StringComparison.Ordinal)),
        ];
    }
}
