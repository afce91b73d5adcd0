using Zccache.Core.Compilers;
using Zccache.Core.Paths;

namespace Zccache.Core.Linking;

/// <summary>
/// link.exe and lld-link, which link what cl and clang-cl compile: how they are named, and where they find a library
/// named without a folder. Their links are not cached (see <see cref="UncachedLink"/>): neither lists the files it read.
/// </summary>
public static class MsvcLinker
{
    /// <summary>The variables link.exe reads: library folders, and options before and after its arguments.</summary>
    public static readonly IReadOnlyList<string> Variables = ["LIB", "LINK", "_LINK_"];

    /// <summary>True for <c>link</c>, <c>lld-link</c> and <c>lld-link-14</c>, with or without <c>.exe</c> or a folder.</summary>
    public static bool IsMsvcLinker(string program)
    {
        string name = WindowsPath.FileName(program).ToLowerInvariant();
        if (name.EndsWith(".exe", StringComparison.Ordinal)) name = name[..^4];
        return name is "link" or "lld-link"
            || (name.StartsWith("lld-link-", StringComparison.Ordinal) && name.Length > 9
                && name[9..].All(c => char.IsDigit(c) || c == '.'));
    }

    /// <summary>The linker of a cl-family compiler's objects: lld-link for clang-cl's, link for cl's.</summary>
    public static string For(string compiler) => ClCommandLine.IsClangCl(compiler) ? "lld-link" : "link";

    /// <summary>
    /// Where the linker looks for <paramref name="name"/> (a library without a folder), in its order — the working folder,
    /// each <c>/LIBPATH</c> folder, each folder of <c>LIB</c> (separated by <c>;</c>) — up to the first that exists:
    /// the one it links, and before it every place where a new file of that name would be linked instead.
    /// </summary>
    public static List<string> SearchPath(string name, string workingDirectory, IEnumerable<string> libPaths, string? libVariable)
    {
        IEnumerable<string> folders = [workingDirectory, .. libPaths,
            .. (libVariable ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        var tried = new List<string>();
        foreach (string folder in folders)
        {
            string candidate = Path.Join(Path.GetFullPath(folder, workingDirectory), name);
            tried.Add(candidate);
            if (File.Exists(candidate)) break;
        }
        return tried;
    }
}
