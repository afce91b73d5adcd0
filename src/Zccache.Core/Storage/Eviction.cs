namespace Zccache.Core.Storage;

/// <summary>What a trim did.</summary>
public sealed record TrimResult(long SizeBefore, long SizeAfter, int EntriesRemoved, int EntriesKept, long Budget);

/// <summary>
/// Keeps the store under its budget, least recently used first: entries and manifests alike. An
/// entry's last use is its <c>meta</c> file's mtime, a manifest's its own mtime; every write creates
/// them and a read sets them when they are over <see cref="LocalStore.UseResolution"/> old (see
/// <see cref="LocalStore.Read"/>). Nothing stored or marked used within the grace period is
/// removed, so an entry just published stays; removal renames
/// the entry away before deleting it, so a reader sees a whole entry or none (a miss), never a torn
/// one. Whether the cache is over budget is read from the per-shard counters (<see cref="CacheShards"/>),
/// whatever the cache's size; only when it is over are shards walked, one at a time, each giving up
/// the same share of its bytes (keys are hashes: shards fill and age alike). Trims to 90% of the
/// budget, so a cache at its limit is not trimmed again at every store.
/// </summary>
public static class Eviction
{
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromMinutes(2);
    private const string LastTrimFile = "last-trim";

    public static TrimResult Trim(CacheLayout layout, long budget, TimeSpan? grace = null)
    {
        new LocalStore(layout).CleanStaging(TimeSpan.FromHours(1)); // what killed processes left
        var shards = new CacheShards(layout);
        var (usage, _) = shards.ReadAll();
        long tools = SizeOf(layout.Tools);
        long stored = usage.Values.Sum(u => u.Bytes);
        long total = tools + stored, before = total;
        int entries = usage.Values.Sum(u => u.Entries), removed = 0;
        budget = Math.Min(budget, CacheBudget.DiskCap(layout.Root, total));
        long target = budget / 10 * 9;
        DateTime protectedSince = DateTime.UtcNow - (grace ?? DefaultGrace);
        if (total > budget && stored > 0)
        {
            double keep = Math.Clamp((double)(target - tools) / stored, 0, 1);
            foreach (var (shard, was) in usage.OrderByDescending(p => p.Value.Bytes))
            {
                if (total <= target) break;
                var (after, gone) = shards.Evict(shard, (long)(was.Bytes * keep), protectedSince);
                total += after.Bytes - was.Bytes;
                entries += after.Entries - was.Entries;
                removed += gone;
            }
        }
        TryStamp(layout);
        return new TrimResult(before, total, removed, entries, budget);
    }

    /// <summary>The store's size (entries, manifests, compiler identities) and its entry count, from the shard counters.</summary>
    public static (long Bytes, int Entries) Usage(CacheLayout layout)
    {
        var (usage, _) = new CacheShards(layout).ReadAll();
        return (SizeOf(layout.Tools) + usage.Values.Sum(u => u.Bytes), usage.Values.Sum(u => u.Entries));
    }

    /// <summary>Trims when the last trim of this cache is older than <paramref name="interval"/>: what a store does after it
    /// published something (<see cref="LocalStore"/>).</summary>
    public static TrimResult? TrimIfDue(CacheLayout layout, long budget, TimeSpan interval)
    {
        string stamp = Path.Join(layout.Store, LastTrimFile);
        if (File.Exists(stamp) && DateTime.UtcNow - File.GetLastWriteTimeUtc(stamp) < interval) return null;
        TryStamp(layout); // claimed first: stores in other processes that find it due a moment later do not trim beside this one
        return Trim(layout, budget);
    }

    /// <summary>Removes every entry, manifest and memoised compiler identity; sessions stay.</summary>
    public static void Clear(CacheLayout layout)
    {
        foreach (string dir in new[] { layout.Entries, layout.Manifests, layout.Tools, layout.Counters })
            if (Directory.Exists(dir)) LocalStore.RemoveDirectory(dir);
        TryStamp(layout);
    }

    private static long SizeOf(string dir) =>
        Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    private static void TryStamp(CacheLayout layout)
    {
        try { AtomicFile.Write(Path.Join(layout.Store, LastTrimFile), [1]); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
