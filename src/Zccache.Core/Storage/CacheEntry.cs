namespace Zccache.Core.Storage;

/// <summary>A cached compile: the files it produced and what the compiler printed and returned.</summary>
public sealed record CacheEntry
{
    /// <summary>
    /// The produced files, by the name the compile gives them (<c>object</c>, <c>depfile</c>, <c>libfoo-1a2b.rlib</c>…).
    /// </summary>
    public IReadOnlyList<EntryOutput> Outputs { get; init; } = [];
    public byte[] Stdout { get; init; } = [];
    public byte[] Stderr { get; init; } = [];
    public int ExitCode { get; init; }
    /// <summary>How long the original compile took: what a hit saves.</summary>
    public long CompileDurationNs { get; init; }

    public long TotalBytes => Outputs.Sum(o => o.Data.LongLength) + Stdout.LongLength + Stderr.LongLength;

    public EntryOutput? Output(string name) => Outputs.FirstOrDefault(o => o.Name == name);
}

/// <summary>One produced file. <see cref="PathInStore"/> is set on read, for a reflink instead of a copy.</summary>
public sealed record EntryOutput(string Name, byte[] Data)
{
    public string? PathInStore { get; init; }

    /// <summary>
    /// The compiler or linker wrote it executable (a program, a shared library, a build script): the store keeps the
    /// bit in the entry's digest-checked meta (locally) or in the entry's name (remotely), and delivery gives it back.
    /// </summary>
    public bool Executable { get; init; }

    /// <summary>Names become file names in the store: plain characters only, never a path.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 200 && name[0] != '.'
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+');
}
