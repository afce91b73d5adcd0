namespace Zccache.Core.Hashing;

/// <summary>
/// What hashing a file found: its digest and whether it uses a time macro. <see cref="SettledStamp"/>
/// is the stamp the digest belongs to, when the file was old enough to trust it (see
/// <see cref="FileHashMemo.RacyWindow"/>) and did not change while it was read; null otherwise.
/// </summary>
public sealed record FileFacts(ContentHash Hash, bool UsesTimeMacros, long Size, FileStamp? SettledStamp = null)
{
    /// <summary>
    /// The text names a file the compiler reads without listing it as a dependency: an assembler
    /// <c>.incbin</c> or <c>.include</c>, or C23's <c>#embed</c>.
    /// </summary>
    public bool NamesHiddenInput { get; init; }
}

/// <summary>
/// Content hashes memoised by path and <see cref="FileStamp"/> (size, mtime, ctime, inode), so a header shared by hundreds
/// of sources is read once per process (while it stays in the <see cref="BoundedMemo{TValue}"/>). Freshness is decided by
/// content: the stamp only says when a stored hash can be reused. A file modified within the last <see cref="RacyWindow"/>
/// is not memoised (a second write in the same clock tick could keep its stamp).
/// </summary>
public sealed class FileHashMemo
{
    public static readonly FileHashMemo Shared = new();
    public static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private static readonly byte[][] TimeMacros = ["__DATE__"u8.ToArray(), "__TIME__"u8.ToArray(), "__TIMESTAMP__"u8.ToArray()];
    private static readonly byte[][] HiddenInputs = [".incbin"u8.ToArray(), ".include"u8.ToArray(), "embed"u8.ToArray()];

    // Files a long-lived process (the server, a reused MSBuild node) keeps the hashes of: a large solution's sources and headers.
    private readonly BoundedMemo<Stamped<FileFacts>> _memo = new(1 << 16);

    /// <summary>Hashes <paramref name="path"/>; null when it is missing or not a regular file.</summary>
    public FileFacts? Get(string path)
    {
        if (FileStamp.Read(path) is not { } stamp) return null;
        if (_memo.TryGetValue(path, out var known) && known.Stamp == stamp) return known.Value;

        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }

        var facts = new FileFacts(ContentHash.Of(bytes), UsesAny(bytes, TimeMacros), bytes.LongLength)
        { NamesHiddenInput = NamesHidden(bytes) };
        // Re-read the stamp: if the file changed while we read it, do not memoise.
        if (IsSettled(stamp) && FileStamp.Read(path) == stamp)
        {
            facts = facts with { SettledStamp = stamp };
            _memo.Set(path, new(stamp, facts));
        }
        return facts;
    }

    /// <summary>True when the file was last written longer ago than <see cref="RacyWindow"/>: a stamp that can be trusted.</summary>
    public static bool IsSettled(FileStamp stamp) =>
        (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 - stamp.MtimeNs >= RacyWindow.Ticks * 100;

    private static bool UsesAny(ReadOnlySpan<byte> bytes, byte[][] words)
    {
        foreach (byte[] word in words)
            if (bytes.IndexOf(word) >= 0) return true;
        return false;
    }

    /// <summary>A cheap byte scan, then a closer look: <c>.incbin</c>, <c>.include "</c>, or <c>#embed</c> as a directive.</summary>
    private static bool NamesHidden(ReadOnlySpan<byte> bytes)
    {
        if (!UsesAny(bytes, HiddenInputs)) return false;
        string text = System.Text.Encoding.Latin1.GetString(bytes);
        return text.Contains(".incbin", StringComparison.Ordinal)
            || System.Text.RegularExpressions.Regex.IsMatch(text, @"\.include[ \t]*\\?""")
            || System.Text.RegularExpressions.Regex.IsMatch(text, @"^[ \t]*#[ \t]*embed\b",
                System.Text.RegularExpressions.RegexOptions.Multiline);
    }
}
