using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Storage;

namespace Zccache.Core.Pipeline;

/// <summary>
/// A recorded dependency on an environment variable (rustc's <c>env!</c> reads, from its dep-info): named
/// <c>env:NAME</c>, its digest the hash of the variable's escaped value (or of its absence). Recorded by a miss and
/// checked by a lookup against the call's environment: it has no file stamp to say an object is up to date.
/// </summary>
internal static class EnvironmentDependency
{
    private const string Prefix = "env:";

    /// <summary>Whether a recorded dependency's path names a variable, not a file.</summary>
    public static bool Is(string path) => path.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The dependency on <paramref name="name"/>, whose value the compile read as rustc escapes it (null: unset).</summary>
    public static RecordedDependency Recorded(string name, string? escapedValue) => new(Prefix + name, Digest(escapedValue));

    /// <summary>The digest of the dependency <paramref name="path"/> (see <see cref="Is"/>) in <paramref name="invocation"/>'s
    /// environment.</summary>
    public static string CurrentDigest(string path, CompileInvocation invocation) =>
        Digest(invocation.GetEnvironmentVariable(path[Prefix.Length..]) is { } v ? DepFile.EscapeEnvValue(v) : null);

    private static string Digest(string? escapedValue) =>
        ContentHash.Of(escapedValue is null ? [0] : Encoding.UTF8.GetBytes("=" + escapedValue)).Hex;
}
