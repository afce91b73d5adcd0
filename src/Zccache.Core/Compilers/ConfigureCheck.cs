namespace Zccache.Core.Compilers;

/// <summary>
/// Compiles a build system runs while it configures, each in a fresh folder with a random name (CMake's
/// <c>try_compile</c>: <c>CMakeFiles/CMakeScratch/TryCompile-XXXXXX</c>, before CMake 3.24 <c>CMakeFiles/CMakeTmp</c>).
/// Their paths enter the key, so their entries could never be hit again: they run plainly and store nothing.
/// </summary>
public static class ConfigureCheck
{
    private static readonly string[] ScratchFolders = ["CMakeFiles/CMakeScratch/TryCompile-", "CMakeFiles/CMakeTmp"];

    /// <summary>The scratch folder the call runs in or writes to, or null for an ordinary compile.</summary>
    public static string? Folder(CompileInvocation invocation)
    {
        if (Scratch(invocation.WorkingDirectory) is { } cwd) return cwd;
        foreach (string argument in invocation.Arguments)
            if (Scratch(argument) is { } folder) return folder;
        return null;
    }

    private static string? Scratch(string path)
    {
        string slashed = path.Replace('\\', '/');
        foreach (string marker in ScratchFolders)
        {
            int at = slashed.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) continue;
            int end = slashed.IndexOf('/', at + marker.Length);
            if (marker.EndsWith("CMakeTmp", StringComparison.Ordinal) && end != at + marker.Length && at + marker.Length != slashed.Length)
                continue;
            return end < 0 ? slashed : slashed[..end];
        }
        return null;
    }
}
