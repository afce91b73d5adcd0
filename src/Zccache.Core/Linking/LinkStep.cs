using Zccache.Core.Compilers;

namespace Zccache.Core.Linking;

/// <summary>
/// The link a compile ends with (rustc's bin, proc-macro, cdylib and dylib crates run <c>cc</c> themselves). The
/// pipeline keys the linker's identity, asks the link for the linker's own dependency output
/// (<see cref="LinkCommandLine.DependencyFileOption"/>, as for a driver link) and records every file it read, verified on
/// each hit; <see cref="LinkCommandLine.LibraryShadows"/> names where a new library would be found first.
/// </summary>
public sealed record LinkStep
{
    /// <summary>The linker driver the compile runs (<c>cc</c>, or <c>-C linker=</c>)
    /// with the call's environment: its identity enters the key.</summary>
    public required CompileInvocation Linker { get; init; }
    /// <summary>The compile's arguments that pass the linker option writing the dependency file to a given path.</summary>
    public required Func<string, IEnumerable<string>> DependencyArguments { get; init; }
    /// <summary>The folders and names the link searches libraries by.</summary>
    public required LibrarySearch Libraries { get; init; }
    /// <summary>Files the compile writes for its own link and deletes (rustc's
    /// codegen units, its temporary folder): outputs, not inputs.</summary>
    public required Func<string, bool> IsIntermediate { get; init; }
}

/// <summary>
/// A link's library search: <c>-L</c> folders in order and <c>-l</c> names. With <paramref name="NamesFromLinker"/>, every
/// <c>libNAME.so</c>/<c>libNAME.a</c> the linker reported counts as a name too (rustc passes the <c>#[link]</c> names of
/// every crate it links, which its command line does not show).
/// </summary>
public sealed record LibrarySearch(IReadOnlyList<string> Folders, IReadOnlyList<string> Names, bool NamesFromLinker = false)
{
    /// <summary>The search of a gcc-family driver's link command line.</summary>
    public static LibrarySearch FromDriverArguments(IReadOnlyList<string> args, string workingDirectory)
    {
        var folders = new List<string>();
        var names = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "-L" && i + 1 < args.Count) folders.Add(Path.GetFullPath(args[++i], workingDirectory));
            else if (a.StartsWith("-L", StringComparison.Ordinal) && a.Length > 2) folders.Add(Path.GetFullPath(a[2..], workingDirectory));
            else if (a == "-l" && i + 1 < args.Count) names.Add(args[++i]);
            else if (a.StartsWith("-l", StringComparison.Ordinal) && a.Length > 2) names.Add(a[2..]);
        }
        return new LibrarySearch(folders, names);
    }
}
