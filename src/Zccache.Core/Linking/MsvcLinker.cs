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

    private static readonly string[] CompanionExtensions = [".pdb", ".lib", ".exp"];

    /// <summary>What link.exe writes beside a DLL or program when it does: <c>/DEBUG</c>'s PDB, the import library and its
    /// <c>.exp</c>.</summary>
    public static List<string> Companions(string output) => [.. CompanionExtensions.Select(e => Path.ChangeExtension(output, e))];

    /// <summary>The linker of a cl-family compiler's objects: link for cl's; lld-link for clang-cl's, of the same version
    /// when the compiler's name has one (clang-cl-14: lld-link-14).</summary>
    public static string For(string compiler)
    {
        if (!ClCommandLine.IsClangCl(compiler)) return "link";
        string name = WindowsPath.FileName(compiler);
        if (name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) name = name[..^4];
        return name.Length > 9 ? "lld-link" + name[8..] : "lld-link";
    }

    /// <summary>What a link reads, for its up-to-date check; <see cref="Untracked"/> says why it cannot be checked.</summary>
    public sealed record LinkInputs(List<string> Files, string? Untracked);

    /// <summary>
    /// The files a link.exe (or lld-link) call reads besides the objects, as the linker finds them: <c>LINK</c>'s options
    /// come before the arguments and <c>_LINK_</c>'s after, so their <c>/LIBPATH</c> folders are searched in that order
    /// (after the working folder, before <c>LIB</c>). Libraries — <paramref name="libraries"/>, <c>.lib</c> names and
    /// <c>/DEFAULTLIB:</c>, <c>/WHOLEARCHIVE:</c> in the options, the <c>/DEFAULTLIB</c> directives of the objects and of the
    /// members of every library so found, unless <c>/NODEFAULTLIB</c> drops them — count where they are found and absent
    /// in every folder searched before; a file an input option names (<c>/DEF:</c>, <c>/MANIFESTINPUT:</c>,
    /// <c>/NATVIS:</c>, <c>/SOURCELINK:</c>, <c>/ORDER:@</c>, <c>/BASE:@</c>) or a bare file (<c>app.res</c>) counts as it
    /// is. Untracked: a response file (<c>@file</c>, whose contents could name anything), a thin archive, or a library
    /// named in the link or by an object and found in none of those folders (lld-link also looks in folders of its own):
    /// such a link runs every time.
    /// </summary>
    public static LinkInputs Inputs(string workingDirectory, IReadOnlyList<string> objects, IReadOnlyList<string> libraryFolders,
        IReadOnlyList<string> libraries, IReadOnlyList<string> options, string? linkVariable, string? linkAfterVariable,
        string? libVariable)
    {
        List<string> before = WindowsCommandLine.Split(linkVariable ?? ""), after = WindowsCommandLine.Split(linkAfterVariable ?? "");
        List<string> all = [.. before, .. options, .. after];
        List<string> folders = [.. LibPaths(before, workingDirectory), .. libraryFolders, .. LibPaths(options, workingDirectory),
            .. LibPaths(after, workingDirectory)];
        var files = new List<string>();
        var names = new List<string>();
        string? untracked = null;
        foreach (string library in libraries)
        {
            if (library.Contains('/') || library.Contains('\\')) files.Add(Path.GetFullPath(library, workingDirectory));
            else names.Add(library);
        }
        bool noDefaults = false;
        var dropped = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string token in all)
        {
            if (token.Length == 0) continue;
            if (token[0] == '@')
            {
                untracked ??= $"the response file '{token[1..]}'";
                continue;
            }
            if (token[0] is not ('/' or '-'))
            {
                if (token.EndsWith(".lib", StringComparison.OrdinalIgnoreCase) && !token.Contains('/') && !token.Contains('\\'))
                    names.Add(token);
                else files.Add(Path.GetFullPath(token, workingDirectory));
                continue;
            }
            int colon = token.IndexOf(':');
            string option = (colon > 0 ? token[1..colon] : token[1..]).ToUpperInvariant();
            string value = colon > 0 ? token[(colon + 1)..].Trim('"') : "";
            switch (option)
            {
                case "NODEFAULTLIB" when value.Length == 0: noDefaults = true; break;
                case "NODEFAULTLIB": dropped.Add(LibraryName(value)); break;
                case "DEFAULTLIB" or "WHOLEARCHIVE" when value.Length > 0: names.Add(LibraryName(value)); break;
                case "DEF" or "MANIFESTINPUT" or "NATVIS" or "SOURCELINK" when value.Length > 0:
                    files.Add(Path.GetFullPath(value, workingDirectory));
                    break;
                case "ORDER" or "BASE" when value.StartsWith('@'): files.Add(Path.GetFullPath(value[1..], workingDirectory)); break;
                case var _ when token[0] == '/' && File.Exists(token): files.Add(token); break; // an absolute path on Unix
            }
        }
        // What objects and libraries ask for themselves, unless /NODEFAULTLIB drops it; a library's members can ask for
        // more libraries, followed to the end. A library that only libraries ask for and that is nowhere counts as absent
        // where it was looked for: every member counts here, and the link need not pull in the one that asks for it.
        var pending = new Queue<(string Name, bool ByLibrary)>(names.Select(name => (LibraryName(name), false)));
        var read = new HashSet<string>(StringComparer.Ordinal);
        void AskedFor(IEnumerable<string> asked, bool byLibrary)
        {
            if (noDefaults) return;
            foreach (string name in asked.Where(name => !dropped.Contains(name))) pending.Enqueue((name, byLibrary));
        }
        void Read(string library)
        {
            if (!read.Add(library)) return;
            if (CoffDirectives.OfLibrary(library) is { } asked) AskedFor(asked, byLibrary: true);
            else untracked ??= $"the thin archive '{library}' (its members are files elsewhere)";
        }
        AskedFor(objects.SelectMany(CoffDirectives.OfObject), byLibrary: false);
        foreach (string file in files.ToList()) Read(file); // those that are libraries
        var searched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (pending.TryDequeue(out var next))
        {
            if (!searched.Add(next.Name)) continue;
            var tried = SearchPath(next.Name, workingDirectory, folders, libVariable);
            files.AddRange(tried);
            if (File.Exists(tried[^1])) Read(tried[^1]);
            else if (!next.ByLibrary) untracked ??= $"'{next.Name}' is in none of the folders it is looked for in";
        }
        return new LinkInputs(files, untracked);
    }

    /// <summary>A library's name as the linker completes it: <c>.lib</c> added when it has no extension.</summary>
    public static string LibraryName(string name) => WindowsPath.Extension(name).Length > 0 ? name : name + ".lib";

    private static IEnumerable<string> LibPaths(IEnumerable<string> options, string workingDirectory) =>
        options.Where(o => o.Length > 9 && o[0] is '/' or '-' && o[1..].StartsWith("LIBPATH:", StringComparison.OrdinalIgnoreCase))
            .Select(o => Path.GetFullPath(o[9..].Trim('"'), workingDirectory));

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
