namespace Zccache.Core.Compilers;

/// <summary>
/// One compiler call as any entry point sees it: the compiler as named, its arguments (not yet
/// expanded), where it runs, and its environment. ClCompile items, Exec'd command lines and
/// launcher calls all become one of these.
/// </summary>
public sealed record CompileInvocation
{
    public required string Compiler { get; init; }
    public required IReadOnlyList<string> Arguments { get; init; }
    public required string WorkingDirectory { get; init; }
    /// <summary>The environment the compiler runs with; null means this process's environment.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    /// <summary>Paths under it are keyed relative to it (gcc, clang and emcc calls); null: none.</summary>
    public Paths.BaseDir? BaseDir { get; init; }
    /// <summary>
    /// ZccachePrefixCommand's words (<c>distcc</c>, <c>icecc</c>, any wrapper): a compile the cache runs (a miss, a
    /// non-cacheable call) runs as <c>&lt;prefix…&gt; &lt;compiler&gt; &lt;args…&gt;</c>. Keys and the compiler's identity stay
    /// the real compiler's; a hit never starts it. Empty: none.
    /// </summary>
    public IReadOnlyList<string> PrefixCommand { get; init; } = [];
    /// <summary>
    /// A launcher call's id: the resident server and a launcher that does the call itself after losing the server
    /// record it under this one id, and the session counts it once. Null: a call of its own.
    /// </summary>
    public string? CallId { get; init; }

    /// <summary>The prefix command's words, split as a shell splits a command line; none for empty text.</summary>
    public static IReadOnlyList<string> SplitPrefix(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : CommandLineText.Split(text);

    public string? GetEnvironmentVariable(string name) =>
        Environment is null ? System.Environment.GetEnvironmentVariable(name)
        : Environment.TryGetValue(name, out string? v) ? v : null;
}
