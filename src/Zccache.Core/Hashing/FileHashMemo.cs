using System.Collections.Concurrent;

namespace Zccache.Core.Hashing;

/// <summary>What hashing a file found: its digest and whether it uses a time macro.</summary>
public readonly record struct FileFacts(ContentHash Hash, bool UsesTimeMacros, long Size);

/// <summary>
/// Content hashes memoised by path and <see cref="FileStamp"/> (size, mtime, ctime, inode), so a
/// header shared by hundreds of sources is read once per process. Freshness is decided by content:
/// the stamp only says when a stored hash can be reused. A file modified within the last
/// <see cref="RacyWindow"/> is not memoised (a second write in the same clock tick could keep its stamp).
/// </summary>
public sealed class FileHashMemo
{
    public static readonly FileHashMemo Shared = new();
    public static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private static readonly byte[][] TimeMacros = ["__DATE__"u8.ToArray(), "__TIME__"u8.ToArray(), "__TIMESTAMP__"u8.ToArray()];

    private readonly ConcurrentDictionary<string, (FileStamp Stamp, FileFacts Facts)> _memo = new();

    /// <summary>Hashes <paramref name="path"/>; null when it is missing or not a regular file.</summary>
    public FileFacts? Get(string path)
    {
        FileStamp? stamp = FileStamp.Read(path);
        if (stamp is null) return null;
        if (_memo.TryGetValue(path, out var known) && known.Stamp == stamp.Value) return known.Facts;

        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }

        var facts = new FileFacts(ContentHash.Of(bytes), UsesAny(bytes), bytes.LongLength);
        long nowNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        bool racy = nowNs - stamp.Value.MtimeNs < RacyWindow.Ticks * 100;
        // Re-read the stamp: if the file changed while we read it, do not memoise.
        if (!racy && FileStamp.Read(path) == stamp) _memo[path] = (stamp.Value, facts);
        return facts;
    }

    private static bool UsesAny(ReadOnlySpan<byte> bytes)
    {
        foreach (byte[] macro in TimeMacros)
            if (bytes.IndexOf(macro) >= 0) return true;
        return false;
    }
}
