using Zccache.Core.Paths;

namespace Zccache.Core.Contexts;

/// <summary>
/// What decides a compile's output apart from file contents: the source, where headers are
/// searched, the macros, the flags that change code generation, forced includes, and any flag
/// the parser does not know (kept verbatim, so an unknown flag can never be ignored).
/// </summary>
public sealed record CompileContext
{
    public required NormalizedPath SourceFile { get; init; }
    public IncludeSearchPaths IncludeSearch { get; init; } = new();
    /// <summary><c>-D</c> definitions as <c>NAME</c> or <c>NAME=VALUE</c>, sorted.</summary>
    public List<string> Defines { get; init; } = [];
    /// <summary><c>-U</c> names, sorted.</summary>
    public List<string> Undefines { get; init; } = [];
    /// <summary>
    /// The <c>-D</c>/<c>-U</c> sequence as written, kept only when a name occurs more than once:
    /// then order changes the result (<c>-DX -UX</c> is not <c>-UX -DX</c>) and must enter the key.
    /// </summary>
    public List<string> OrderedMacroOps { get; init; } = [];
    /// <summary>Cache-relevant flags in command-line order (<c>-O2</c>, <c>-std=c++17</c>, <c>-fPIC</c>, <c>-x c</c>…).</summary>
    public List<string> Flags { get; init; } = [];
    /// <summary><c>-include</c> files in order.</summary>
    public List<NormalizedPath> ForceIncludes { get; init; } = [];
    /// <summary>
    /// <c>-include</c> and <c>-imacros</c> names as written: the preprocessor looks for them in the
    /// working directory, then along the <c>"…"</c> chain (not part of equality: the key holds the spellings).
    /// </summary>
    public List<string> CommandLineIncludes { get; init; } = [];
    /// <summary>Flags the parser does not recognise, verbatim and in order.</summary>
    public List<string> UnknownFlags { get; init; } = [];

    /// <summary>The context key without a compiler identity (for tests and registration before identity is known).</summary>
    public ContextKey ContextKey() => Contexts.ContextKey.Compute(this, compilerIdentity: "", extra: []);

    public bool Equals(CompileContext? other) =>
        other is not null && SourceFile == other.SourceFile && IncludeSearch.Equals(other.IncludeSearch)
        && Defines.SequenceEqual(other.Defines) && Undefines.SequenceEqual(other.Undefines)
        && OrderedMacroOps.SequenceEqual(other.OrderedMacroOps) && Flags.SequenceEqual(other.Flags)
        && ForceIncludes.SequenceEqual(other.ForceIncludes) && UnknownFlags.SequenceEqual(other.UnknownFlags);

    public override int GetHashCode() => HashCode.Combine(SourceFile, Defines.Count, Flags.Count);
}
