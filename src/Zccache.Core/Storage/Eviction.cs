namespace Zccache.Core.Storage;

/// <summary>What a trim did.</summary>
public sealed record TrimResult(long SizeBefore, long SizeAfter, int EntriesRemoved, int EntriesKept, long Budget);

/// <summary>
/// Keeps the store under its budget, least recently used first: entries and manifests alike. An
/// entry's last use is its <c>meta</c> file's mtime, a manifest's its own mtime; every read sets
/// them (see <see cref="LocalStore.Read"/>) and every write creates them. An entry used within the grace period is never removed, so an entry being
/// read or just published stays; removal renames the entry away before deleting it, so a reader
/// sees a whole entry or none (a miss), never a torn one. Trims to 90% of the budget, so a cache at
/// its limit is not trimmed again at every build.
/// </summary>
public static class Eviction
{
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromMinutes(2);
    private const string LastTrimFile = "last-trim";

    public static TrimResult Trim(CacheLayout layout, long budget, TimeSpan? grace = null)
    {
        new LocalStore(layout).CleanStaging(TimeSpan.FromHours(1)); // what killed processes left
        // Entries (folders) and manifests (files) are evicted alike, by last use.
        var entries = new List<(string Path, long Size, DateTime LastUse, bool IsManifest)>();
        long total = SizeOf(layout.Tools);
        if (Directory.Exists(layout.Manifests))
        {
            foreach (var f in new DirectoryInfo(layout.Manifests).EnumerateFiles("*.manifest", SearchOption.AllDirectories))
            {
                entries.Add((f.FullName, f.Length, f.LastWriteTimeUtc, true));
                total += f.Length;
            }
        }
        if (Directory.Exists(layout.Entries))
        {
            foreach (string shard in Directory.EnumerateDirectories(layout.Entries))
            {
                foreach (var dir in new DirectoryInfo(shard).EnumerateDirectories())
                {
                    if (!Hashing.ContentHash.IsValidHex(dir.Name))
                    {
                        // Left by a removal that was interrupted (a killed process): finish it.
                        if (dir.Name.Contains(".deleting.", StringComparison.Ordinal) && DateTime.UtcNow - dir.LastWriteTimeUtc > TimeSpan.FromMinutes(10))
                            LocalStore.RemoveDirectory(dir.FullName);
                        continue;
                    }
                    long size = 0;
                    DateTime lastUse = DateTime.MinValue;
                    try
                    {
                        foreach (var f in dir.EnumerateFiles())
                        {
                            size += f.Length;
                            if (f.Name == "meta") lastUse = f.LastWriteTimeUtc;
                        }
                    }
                    catch (DirectoryNotFoundException) { continue; }
                    entries.Add((dir.FullName, size, lastUse, false));
                    total += size;
                }
            }
        }

        long before = total;
        budget = Math.Min(budget, CacheBudget.DiskCap(layout.Root, total));
        int removed = 0;
        long target = budget / 10 * 9;
        DateTime protectedSince = DateTime.UtcNow - (grace ?? DefaultGrace);
        if (total > budget)
        {
            foreach (var e in entries.OrderBy(e => e.LastUse))
            {
                if (total <= target) break;
                if (e.LastUse >= protectedSince) continue;
                bool gone = e.IsManifest ? RemoveFile(e.Path) : LocalStore.RemoveDirectory(e.Path);
                if (gone) { total -= e.Size; if (!e.IsManifest) removed++; }
            }
        }
        TryStamp(layout);
        return new TrimResult(before, total, removed, entries.Count(e => !e.IsManifest) - removed, budget);
    }

    /// <summary>Trims when the last trim of this cache is older than <paramref name="interval"/>: what a launcher does after it stored something.</summary>
    public static TrimResult? TrimIfDue(CacheLayout layout, long budget, TimeSpan interval)
    {
        string stamp = Path.Join(layout.Store, LastTrimFile);
        if (File.Exists(stamp) && DateTime.UtcNow - File.GetLastWriteTimeUtc(stamp) < interval) return null;
        return Trim(layout, budget);
    }

    /// <summary>Removes every entry, manifest and memoised compiler identity; sessions stay.</summary>
    public static void Clear(CacheLayout layout)
    {
        foreach (string dir in new[] { layout.Entries, layout.Manifests, layout.Tools })
            if (Directory.Exists(dir)) LocalStore.RemoveDirectory(dir);
        TryStamp(layout);
    }

    private static bool RemoveFile(string path)
    {
        try { File.Delete(path); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static long SizeOf(string dir) =>
        Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    private static void TryStamp(CacheLayout layout)
    {
        try { AtomicFile.Write(Path.Join(layout.Store, LastTrimFile), [1]); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
