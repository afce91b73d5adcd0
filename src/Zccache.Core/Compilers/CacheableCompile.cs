using Zccache.Core.Contexts;

namespace Zccache.Core.Compilers;

/// <summary>
/// A compiler call the cache can serve, whatever the compiler (gcc/clang/emcc or rustc): what
/// keys it, how to run it so that it reports what it read, and the files it produces. Each
/// compiler's command-line reader makes one; <see cref="Pipeline.CompileCache"/> does the rest.
/// </summary>
public sealed record CacheableCompile
{
    /// <summary>The compile context registered in the session; its source is the main source.</summary>
    public required CompileContext Context { get; init; }
    /// <summary>What else changes the output (working directory, environment, input digests), by name.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> KeyExtras { get; init; }
    /// <summary>The arguments to run, response files expanded.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }
    /// <summary>A compile or a link: how the session counts its outcome.</summary>
    public Sessions.Step Step { get; init; } = Sessions.Step.Compile;
    /// <summary>The files a successful compile produces, all delivered on a hit.</summary>
    public required IReadOnlyList<CompileOutput> Outputs { get; init; }
    /// <summary>Where the compiler writes the dependency list the user asked for (absolute); null when not asked.</summary>
    public string? DependencyFile { get; init; }
    /// <summary>The arguments that make the compiler also write its dependency
    /// list to a given path (added when the user did not ask).</summary>
    public required Func<string, IEnumerable<string>> DependencyArguments { get; init; }
    /// <summary>Set when the compiler reports what it read as include notes on
    /// standard output (cl's <c>/showIncludes</c>) instead of a depfile.</summary>
    public IncludeNotes? IncludeNotes { get; init; }
    /// <summary>
    /// When the user's own dependency file is partial (<c>-MMD</c>): the arguments of a run that only
    /// writes the full list to a given path, made after the compile. Null: the compile reports it.
    /// </summary>
    public Func<string, IEnumerable<string>>? DependencyScan { get; init; }
    /// <summary>
    /// Files the compile reads that its dependency output leaves out, found from the dependencies
    /// (rustc: static libraries named by <c>#[link]</c>): recorded and verified like the others.
    /// </summary>
    public Func<IReadOnlyList<string>, IEnumerable<string>>? HiddenDependencies { get; init; }
    /// <summary>The link the compile ends with (rustc's linked crate types):
    /// the linker's identity and every file it read count too.</summary>
    public Linking.LinkStep? Link { get; init; }
    /// <summary>Where a new file would change what the compiler reads (see <see cref="Contexts.ShadowCandidates"/>).</summary>
    public Contexts.SearchModel Search { get; init; } = Contexts.SearchModel.CInclude;
    /// <summary>
    /// False when a failed run's dependency list may leave out what decided the failure (rustc's dep-info does not name
    /// a module file or an <c>include_str!</c> file it did not find): such a failure is never stored, so it runs again
    /// once the file is there.
    /// </summary>
    public bool FailedRunListsEveryInput { get; init; } = true;
    /// <summary>True when a failed run's messages (stderr) show the driver or environment failed, not the source: not replayed.</summary>
    public Func<byte[], bool> IsEnvironmentFailure { get; init; } = _ => false;
    /// <summary>The base directory this compile's key, manifest and depfile are written relative to; null: none.</summary>
    public Paths.BaseDir? BaseDir { get; init; }
    /// <summary>A path, or text naming paths (a depfile), as keys, manifests
    /// and entries record it: with the base directory as its marker.</summary>
    public string Recorded(string text) => BaseDir?.Rewrite(text) ?? text;

    /// <summary>A recorded path, or text naming paths, as it is in this checkout.</summary>
    public string Here(string recorded) => BaseDir?.Expand(recorded) ?? recorded;

    /// <summary>
    /// An output's bytes rewritten by <paramref name="rewrite"/> (<see cref="Recorded"/> to store, <see cref="Here"/> to deliver)
    /// when they name paths: a depfile under a base directory, stored with the marker as the manifest is. Null: stored as they are.
    /// </summary>
    public byte[]? Rewritten(string outputName, byte[] data, Func<string, string> rewrite) =>
        BaseDir is not null && outputName == "depfile"
        ? System.Text.Encoding.UTF8.GetBytes(rewrite(System.Text.Encoding.UTF8.GetString(data))) : null;

    /// <summary>True for C-family sources: <c>__DATE__</c>/<c>__TIME__</c> make the output differ run to run.</summary>
    public bool TimeMacrosMatter { get; init; }
}

/// <summary>A file the compile writes: its name in the cache entry and its absolute path.</summary>
public sealed record CompileOutput(string Name, string Path);
