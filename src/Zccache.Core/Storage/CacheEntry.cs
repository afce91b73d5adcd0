namespace Zccache.Core.Storage;

/// <summary>A cached compile: its outputs and what the compiler printed and returned.</summary>
public sealed record CacheEntry
{
    public byte[]? Object { get; init; }
    public byte[]? Depfile { get; init; }
    public byte[] Stdout { get; init; } = [];
    public byte[] Stderr { get; init; } = [];
    public int ExitCode { get; init; }
    /// <summary>How long the original compile took: what a hit saves.</summary>
    public long CompileDurationNs { get; init; }

    public long TotalBytes => (Object?.LongLength ?? 0) + (Depfile?.LongLength ?? 0) + Stdout.LongLength + Stderr.LongLength;

    /// <summary>The entry file holding the object, when reading left it on disk for a reflink.</summary>
    public string? ObjectPathInStore { get; init; }
}
