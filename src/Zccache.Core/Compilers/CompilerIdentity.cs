using Zccache.Core.Hashing;

namespace Zccache.Core.Compilers;

/// <summary>
/// Finds the compiler a name refers to (PATH search, symlinks followed) and identifies it by
/// the content hash of its binary, memoised by <see cref="FileHashMemo"/>.
/// </summary>
public static class CompilerIdentity
{
    /// <summary>The absolute path of the compiler, or null when it cannot be found.</summary>
    public static string? Resolve(string compiler, string workingDirectory, string? pathVariable = null)
    {
        if (compiler.Contains('/') || compiler.Contains(Path.DirectorySeparatorChar))
        {
            string full = Path.GetFullPath(compiler, workingDirectory);
            return File.Exists(full) ? full : null;
        }
        string path = pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Join(dir, compiler);
            if (File.Exists(candidate)) return candidate;
            if (OperatingSystem.IsWindows() && File.Exists(candidate + ".exe")) return candidate + ".exe";
        }
        return null;
    }

    /// <summary>The compiler's identity for keys: "sha256:&lt;hex&gt;" of the binary behind all symlinks.</summary>
    public static string? Identify(string resolvedPath, FileHashMemo memo)
    {
        string real = resolvedPath;
        try
        {
            if (File.ResolveLinkTarget(resolvedPath, returnFinalTarget: true) is { } target) real = target.FullName;
        }
        catch (IOException) { }
        return memo.Get(real) is { } facts ? "sha256:" + facts.Hash.Hex : null;
    }
}
