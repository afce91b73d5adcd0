using System.Globalization;
using System.Text;
using Zccache.Core.Hashing;

namespace Zccache.Core.Storage;

/// <summary>What a shard of the store holds: the bytes of its entries and manifests, and how many of each.</summary>
public readonly record struct ShardUsage(long Bytes, int Entries, int Manifests)
{
    public static ShardUsage operator +(ShardUsage a, ShardUsage b) =>
        new(a.Bytes + b.Bytes, a.Entries + b.Entries, a.Manifests + b.Manifests);
}

/// <summary>
/// Size and count counters per shard, as ccache keeps them per subdirectory, so that "is the cache
/// over its budget?" reads 256 small files instead of walking every entry. A shard is the entries
/// and manifests whose keys start with the same two hex digits (<c>entries/ab/</c>, <c>manifests/ab/</c>).
/// <para>
/// <c>counters/ab</c> holds the shard's usage and the mtimes its two folders had when it was
/// written; the file is also the shard's lock (opened exclusively, so it is released when its
/// process dies). The store changes a shard's folders only under that lock and updates the counter
/// in the same hold, so a counter is right while its folders still have the mtimes it recorded.
/// One that is missing, torn or recorded with other mtimes (an entry deleted by hand, a process
/// killed mid-change, a version without counters) is recounted, from that shard alone. So is one changed while its lock
/// could not be had in time (another process walking it): the change goes ahead unlocked and then leaves
/// <c>counters/ab.dirty</c>, because the holder may write its count after the change, with the folders' new mtimes; a
/// recount removes the mark before it walks the shard.
/// </para>
/// </summary>
public sealed class CacheShards(CacheLayout layout)
{
    public const int Count = 256;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    public static string Of(string key) => key[..2];
    public static IEnumerable<string> All => Enumerable.Range(0, Count).Select(i => i.ToString("x2", CultureInfo.InvariantCulture));

    /// <summary>
    /// Runs <paramref name="change"/> (which changes the shard's folders) under the shard's lock and
    /// adds the usage it returns to the counter; a null usage (not known) leaves the shard to be recounted.
    /// </summary>
    public T Change<T>(string shard, Func<(T Result, ShardUsage? Delta)> change)
    {
        using var counter = Lock(shard, Deadline());
        if (counter is null)
        {
            // Not lockable now: changed without the lock, and marked after the change, so that whatever the holder writes
            // next (it may have counted before the change), the shard is recounted.
            try { return change().Result; }
            finally { MarkDirty(shard); }
        }
        ShardUsage? before = ReadIfCurrent(counter, shard, dirty: File.Exists(DirtyFile(shard)));
        var (result, delta) = change();
        Write(counter, shard, before is { } b && delta is { } d ? b + d : null);
        return result;
    }

    /// <summary>Every shard's usage, and how many shards had to be recounted.</summary>
    public (Dictionary<string, ShardUsage> Usage, int Recounted) ReadAll()
    {
        var usage = new Dictionary<string, ShardUsage>(Count);
        int recounted = 0;
        long deadline = Deadline();
        // The dirty marks, listed once (not a stat per shard); one made while this runs is counted by the next reader.
        var dirty = Directory.Exists(layout.Counters)
            ? Directory.EnumerateFiles(layout.Counters, "*.dirty").Select(f => Path.GetFileNameWithoutExtension(f)).ToHashSet()
            : [];
        foreach (string shard in All)
        {
            ShardUsage? current = null;
            if (File.Exists(CounterFile(shard)))
            {
                using var counter = Lock(shard, deadline, exclusive: false);
                if (counter is not null) current = ReadIfCurrent(counter, shard, dirty.Contains(shard));
            }
            if (current is null)
            {
                current = Evict(shard, long.MaxValue, DateTime.MinValue, deadline).After;
                recounted++;
            }
            usage[shard] = current.Value;
        }
        return (usage, recounted);
    }

    /// <summary>
    /// Counts the shard afresh and removes its least recently used entries and manifests, none used
    /// since <paramref name="protectedSince"/>, until it holds at most <paramref name="targetBytes"/>.
    /// </summary>
    public (ShardUsage After, int EntriesRemoved) Evict(string shard, long targetBytes, DateTime protectedSince) =>
        Evict(shard, targetBytes, protectedSince, Deadline());

    private (ShardUsage After, int EntriesRemoved) Evict(string shard, long targetBytes, DateTime protectedSince, long deadline)
    {
        using var counter = Lock(shard, deadline);
        if (counter is not null) AtomicFile.TryDelete(DirtyFile(shard)); // counted now; a change racing the scan marks it again
        var (items, usage, settled) = Scan(shard);
        int removed = 0;
        bool changed = false;
        if (usage.Bytes > targetBytes)
        {
            foreach (var item in items.OrderBy(i => i.LastUse))
            {
                if (usage.Bytes <= targetBytes) break;
                if (item.LastUse >= protectedSince) continue;
                bool gone = item.IsManifest ? TryDeleteFile(item.Path) : LocalStore.RemoveDirectory(item.Path, aside: layout.Staging);
                if (!gone) continue;
                changed = true;
                usage += item.IsManifest ? new ShardUsage(-item.Size, 0, -1) : new ShardUsage(-item.Size, -1, 0);
                if (!item.IsManifest) removed++;
            }
        }
        // Leftovers too young to collect: count the shard again next time, when they may be collectable.
        if (counter is not null) Write(counter, shard, settled ? usage : null);
        else if (changed) MarkDirty(shard); // removed without the lock: as an unlocked change does (see Change)
        return (usage, removed);
    }

    private sealed record Item(string Path, long Size, DateTime LastUse, bool IsManifest);

    /// <summary>The shard's entries and manifests, collecting what killed
    /// processes left in it; false when some leftovers must wait.</summary>
    private (List<Item> Items, ShardUsage Usage, bool Settled) Scan(string shard)
    {
        var items = new List<Item>();
        var usage = new ShardUsage();
        bool settled = true;
        var now = DateTime.UtcNow;
        try
        {
            var entries = new DirectoryInfo(Path.Join(layout.Entries, shard));
            if (entries.Exists)
            {
                foreach (var dir in entries.EnumerateDirectories())
                {
                    if (!ContentHash.IsValidHex(dir.Name))
                    {
                        // A removal interrupted by a killed process (earlier versions renamed beside the entry): finish it.
                        if (dir.Name.Contains(".deleting.", StringComparison.Ordinal)
                            && now - dir.LastWriteTimeUtc > TimeSpan.FromMinutes(10))
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
                    items.Add(new Item(dir.FullName, size, lastUse, false));
                    usage += new ShardUsage(size, 1, 0);
                }
            }
            var manifests = new DirectoryInfo(Path.Join(layout.Manifests, shard));
            if (manifests.Exists)
            {
                foreach (var f in manifests.EnumerateFiles())
                {
                    if (f.Name.EndsWith(".manifest", StringComparison.Ordinal))
                    {
                        items.Add(new Item(f.FullName, f.Length, f.LastWriteTimeUtc, true));
                        usage += new ShardUsage(f.Length, 0, 1);
                    }
                    else if (f.Name.EndsWith(".tmp", StringComparison.Ordinal))
                    {
                        // A manifest half-written by a process that was killed.
                        if (LocalStore.IsAbandoned(f, now, TimeSpan.FromHours(1))) AtomicFile.TryDelete(f.FullName);
                        else settled = false;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            settled = false; // counted again next time
        }
        return (items, usage, settled);
    }

    private string CounterFile(string shard) => Path.Join(layout.Counters, shard);

    private string DirtyFile(string shard) => Path.Join(layout.Counters, shard + ".dirty");

    private void MarkDirty(string shard)
    {
        try
        {
            LocalStore.EnsureFolder(layout.Counters);
            AtomicFile.CreateNew(DirtyFile(shard)).Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // marked already, or only the mtimes tell
    }

    private static long Deadline() => Environment.TickCount64 + (long)Patience.TotalMilliseconds;

    /// <summary>The shard's counter file, open and locked (exclusively or
    /// shared); null when it cannot be had before the deadline.</summary>
    private FileStream? Lock(string shard, long deadline, bool exclusive = true)
    {
        var options = exclusive
            ? new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None }
            : new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read };
        if (exclusive && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        for (int attempt = 0; ; attempt++)
        {
            try { return new FileStream(CounterFile(shard), options); }
            catch (DirectoryNotFoundException) when (exclusive && attempt == 0)
            {
                try { LocalStore.EnsureFolder(layout.Counters); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
            }
            catch (FileNotFoundException) { return null; }
            catch (IOException) when (Environment.TickCount64 < deadline) { Thread.Sleep(1); } // held by another process or thread
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        }
    }

    /// <summary>The counter's usage when its folders still have the mtimes it recorded; null when it must be recounted.</summary>
    private ShardUsage? ReadIfCurrent(FileStream counter, string shard, bool dirty)
    {
        if (dirty) return null;
        Span<byte> buffer = stackalloc byte[128];
        int n;
        try
        {
            counter.Position = 0;
            n = counter.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (IOException) { return null; }
        if (n != CounterLength) return null;
        string[] parts = Encoding.ASCII.GetString(buffer[..n]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5 || !parts.All(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _))) return null;
        long[] v = [.. parts.Select(p => long.Parse(p, CultureInfo.InvariantCulture))];
        if (v[3] != FolderTime(layout.Entries, shard) || v[4] != FolderTime(layout.Manifests, shard)) return null;
        return new ShardUsage(v[0], (int)v[1], (int)v[2]);
    }

    /// <summary>
    /// Writes the usage with the folders' present mtimes, or marks the shard for a recount (null).
    /// Always the same length, written over the old: truncating a file makes ext4 flush it on close
    /// (its replace-via-truncate heuristic), which cost milliseconds per store.
    /// </summary>
    private void Write(FileStream counter, string shard, ShardUsage? usage)
    {
        string text = usage is { } u && u.Bytes >= 0 && u.Entries >= 0 && u.Manifests >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"{u.Bytes,19} {u.Entries,10} {u.Manifests,10} "
                + $"{FolderTime(layout.Entries, shard),19} {FolderTime(layout.Manifests, shard),19}")
            : "recount".PadRight(CounterLength);
        try
        {
            counter.Position = 0;
            counter.Write(Encoding.ASCII.GetBytes(text));
        }
        catch (IOException) { } // a torn counter is recounted
    }

    private const int CounterLength = 19 + 1 + 10 + 1 + 10 + 1 + 19 + 1 + 19;

    private static long FolderTime(string parent, string shard) => Directory.GetLastWriteTimeUtc(Path.Join(parent, shard)).Ticks;

    private static bool TryDeleteFile(string path)
    {
        try { File.Delete(path); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
