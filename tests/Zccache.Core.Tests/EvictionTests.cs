using Zccache.Core.Storage;

namespace Zccache.Core.Tests;

public class EvictionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly CacheLayout _layout;
    private readonly LocalStore _store;

    public EvictionTests()
    {
        _layout = new CacheLayout(_dir["cache"]);
        _layout.EnsureCreated();
        _store = new LocalStore(_layout);
    }

    public void Dispose() => _dir.Dispose();

    private static string Key(int i) => i.ToString("x64");

    /// <summary>An entry of about 10 KB, last used <paramref name="minutesAgo"/> minutes ago.</summary>
    private void Entry(int i, int minutesAgo)
    {
        _store.Publish(Key(i), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
        File.SetLastWriteTimeUtc(Path.Join(_layout.EntryDir(Key(i)), "meta"), DateTime.UtcNow.AddMinutes(-minutesAgo));
    }

    private static long EntrySize => 10_000 + 300;

    [Theory]
    [InlineData("20G", 20L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("64k", 64L << 10)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("1048576", 1048576)]
    public void Sizes_are_read_with_their_units(string text, long bytes) => Assert.Equal(bytes, CacheBudget.Parse(text));

    [Theory]
    [InlineData("abc")]
    [InlineData("-1G")]
    [InlineData("0")]
    [InlineData("G")]
    public void A_value_that_is_not_a_size_is_refused(string text) => Assert.Throws<FormatException>(() => CacheBudget.Parse(text));

    [Fact]
    public void The_default_budget_is_a_share_of_the_disk_within_bounds() =>
        Assert.InRange(CacheBudget.Default(_layout.Root), CacheBudget.MinDefault, CacheBudget.MaxDefault);

    [Fact]
    public void Trimming_removes_the_least_recently_used_entries_down_to_ninety_percent()
    {
        for (int i = 0; i < 6; i++) Entry(i, minutesAgo: 60 - i); // 0 is the oldest
        long budget = 4 * EntrySize;
        var r = Eviction.Trim(_layout, budget);
        Assert.True(r.SizeAfter <= budget / 10 * 9, $"{r.SizeAfter} > {budget / 10 * 9}");
        Assert.Equal(3, r.EntriesRemoved);
        Assert.All(new[] { 0, 1, 2 }, i => Assert.Null(_store.Read(Key(i))));
        Assert.All(new[] { 3, 4, 5 }, i => Assert.NotNull(_store.Read(Key(i))));
    }

    [Fact]
    public void A_read_makes_an_entry_recent()
    {
        for (int i = 0; i < 4; i++) Entry(i, minutesAgo: 180 - i);
        Assert.NotNull(_store.Read(Key(0))); // the oldest, used now
        Eviction.Trim(_layout, 3 * EntrySize, grace: TimeSpan.Zero);
        Assert.NotNull(_store.Read(Key(0)));
        Assert.Null(_store.Read(Key(1)));
    }

    [Fact]
    public void A_read_records_the_use_only_when_the_last_one_is_over_an_hour_old()
    {
        Entry(1, minutesAgo: 30);
        _store.AddToManifest(Key(2), new ManifestResult(Key(1), []));
        string meta = Path.Join(_layout.EntryDir(Key(1)), "meta"), manifest = _layout.ManifestFile(Key(2));
        File.SetLastWriteTimeUtc(manifest, DateTime.UtcNow.AddMinutes(-30));
        var halfAnHourAgo = (File.GetLastWriteTimeUtc(meta), File.GetLastWriteTimeUtc(manifest));
        Assert.NotNull(_store.ReadManifest(Key(2)));
        Assert.NotNull(_store.Read(Key(1)));
        Assert.Equal(halfAnHourAgo, (File.GetLastWriteTimeUtc(meta), File.GetLastWriteTimeUtc(manifest))); // no write

        File.SetLastWriteTimeUtc(meta, DateTime.UtcNow.AddMinutes(-90));
        File.SetLastWriteTimeUtc(manifest, DateTime.UtcNow.AddMinutes(-90));
        Assert.NotNull(_store.ReadManifest(Key(2)));
        Assert.NotNull(_store.Read(Key(1)));
        Assert.InRange(File.GetLastWriteTimeUtc(meta), DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        Assert.InRange(File.GetLastWriteTimeUtc(manifest), DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void Entries_used_within_the_grace_period_are_never_removed()
    {
        for (int i = 0; i < 4; i++) Entry(i, minutesAgo: 0);
        var r = Eviction.Trim(_layout, EntrySize);
        Assert.Equal(0, r.EntriesRemoved);
        Assert.All(Enumerable.Range(0, 4), i => Assert.NotNull(_store.Read(Key(i))));
    }

    [Fact]
    public void Readers_racing_an_evictor_see_whole_entries_or_none()
    {
        for (int i = 0; i < 40; i++) Entry(i, minutesAgo: 60);
        int found = 0, missing = 0;
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int round = 0; round < 20; round++)
                for (int i = 0; i < 40; i++)
                {
                    var e = _store.Read(Key(i)); // a CorruptEntryException would fail the test
                    if (e is null) Interlocked.Increment(ref missing);
                    else { Assert.Equal(10_000, e.Output("object")!.Data.Length); Interlocked.Increment(ref found); }
                }
        })).ToArray();
        var evictor = Task.Run(() =>
        {
            for (int round = 0; round < 20; round++)
            {
                foreach (string meta in Directory.EnumerateFiles(_layout.Entries, "meta", SearchOption.AllDirectories))
                    try { File.SetLastWriteTimeUtc(meta, DateTime.UtcNow.AddHours(-1)); } catch (IOException) { }
                Eviction.Trim(_layout, 20 * EntrySize, grace: TimeSpan.Zero);
            }
        });
        Task.WaitAll([.. readers, evictor]);
        Assert.True(found > 0);
    }

    [Fact]
    public void Trimming_when_due_waits_for_its_interval()
    {
        for (int i = 0; i < 4; i++) Entry(i, minutesAgo: 60);
        Assert.NotNull(Eviction.TrimIfDue(_layout, EntrySize, TimeSpan.FromMinutes(1)));
        Entry(9, minutesAgo: 60);
        Assert.Null(Eviction.TrimIfDue(_layout, EntrySize, TimeSpan.FromMinutes(1))); // trimmed a moment ago
        File.SetLastWriteTimeUtc(Path.Join(_layout.Store, "last-trim"), DateTime.UtcNow.AddMinutes(-2));
        Assert.Equal(1, Eviction.TrimIfDue(_layout, EntrySize, TimeSpan.FromMinutes(1))!.EntriesRemoved);
    }

    [Fact]
    public void A_store_keeps_the_cache_to_its_budget_when_the_last_trim_is_a_minute_old()
    {
        for (int i = 0; i < 6; i++) Entry(i, minutesAgo: 60 - i); // 0 is the oldest
        LocalStore Budgeted() => new(_layout, new Lazy<long>(4 * EntrySize));

        // No trim yet: the first store trims, to 90% of the budget: the new entry and the two most recent old ones stay.
        var store = Budgeted();
        store.Publish(Key(20), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
        Assert.All(Enumerable.Range(0, 4), i => Assert.False(Directory.Exists(_layout.EntryDir(Key(i)))));
        Assert.All(new[] { 4, 5, 20 }, i => Assert.True(Directory.Exists(_layout.EntryDir(Key(i)))));

        // Within the minute, stores (of this process or another) do not check again.
        Entry(10, minutesAgo: 90);
        Entry(11, minutesAgo: 90);
        store.Publish(Key(21), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
        Budgeted().Publish(Key(22), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
        Assert.All(new[] { 10, 11 }, i => Assert.True(Directory.Exists(_layout.EntryDir(Key(i)))));

        // A minute later, the next store trims again (another process's: this one waits out its own minute too).
        File.SetLastWriteTimeUtc(Path.Join(_layout.Store, "last-trim"), DateTime.UtcNow.AddMinutes(-2));
        store.Publish(Key(23), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
        Assert.True(Directory.Exists(_layout.EntryDir(Key(10))));
        Budgeted().Publish(Key(24), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
        Assert.All(new[] { 4, 5, 10, 11 }, i => Assert.False(Directory.Exists(_layout.EntryDir(Key(i)))));
        Assert.All(new[] { 20, 21, 22, 23, 24 }, i => Assert.True(Directory.Exists(_layout.EntryDir(Key(i))))); // in the grace period
        Assert.Equal(Walk(), new CacheShards(_layout).ReadAll().Usage);
    }

    [Fact]
    public void A_store_without_a_budget_never_trims()
    {
        for (int i = 0; i < 6; i++) Entry(i, minutesAgo: 60);
        _store.Publish(Key(20), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
        Assert.False(File.Exists(Path.Join(_layout.Store, "last-trim")));
        Assert.All(Enumerable.Range(0, 6), i => Assert.True(Directory.Exists(_layout.EntryDir(Key(i)))));
    }

    [Fact]
    public void Clear_removes_entries_and_manifests_but_keeps_sessions()
    {
        Entry(1, 0);
        _store.AddToManifest(Key(2), new ManifestResult(Key(1), []));
        Directory.CreateDirectory(Path.Join(_layout.Sessions, "keep"));
        Eviction.Clear(_layout);
        Assert.Null(_store.Read(Key(1)));
        Assert.Null(_store.ReadManifest(Key(2)));
        Assert.True(Directory.Exists(Path.Join(_layout.Sessions, "keep")));
    }

    [Fact]
    public void An_interrupted_removal_is_finished_by_the_next_trim()
    {
        Entry(1, 60);
        string doomed = _layout.EntryDir(Key(1)) + ".deleting.abc";
        Directory.Move(_layout.EntryDir(Key(1)), doomed);
        Directory.SetLastWriteTimeUtc(doomed, DateTime.UtcNow.AddHours(-1));
        Eviction.Trim(_layout, 1L << 30);
        Assert.False(Directory.Exists(doomed));
    }

    [Fact]
    public void What_a_killed_process_left_is_collected_by_the_next_trim_and_a_live_ones_is_kept()
    {
        // A process killed with SIGKILL, and this one (alive).
        using var victim = System.Diagnostics.Process.Start("sleep", "60");
        victim.Kill();
        victim.WaitForExit();
        var leftovers = new List<string>();
        string[] Made(int pid)
        {
            string guid = Guid.NewGuid().ToString("N");
            string publication = Path.Join(_layout.Staging, $"{Key(1)}.{pid}.{guid}");
            Directory.CreateDirectory(publication);
            File.WriteAllText(Path.Join(publication, "out.object"), "x");
            string depfile = Path.Join(_layout.Staging, $"deps.{pid}.{guid}.d");
            string manifestTemp = $"{_layout.ManifestFile(Key(2))}.{pid}.{guid}.tmp";
            Directory.CreateDirectory(Path.GetDirectoryName(manifestTemp)!);
            File.WriteAllText(depfile, "a.o: a.c\n");
            File.WriteAllText(manifestTemp, "half");
            foreach (string p in new[] { publication, depfile, manifestTemp })
                File.SetLastWriteTimeUtc(p, DateTime.UtcNow.AddMinutes(-5));
            return [publication, depfile, manifestTemp];
        }
        string[] dead = Made(victim.Id), alive = Made(Environment.ProcessId);

        Eviction.Trim(_layout, 1L << 30);
        Assert.All(dead, p => Assert.False(Path.Exists(p), p));
        Assert.All(alive, p => Assert.True(Path.Exists(p), p));

        // An hour on, nothing in staging is anyone's.
        foreach (string p in alive) File.SetLastWriteTimeUtc(p, DateTime.UtcNow.AddHours(-2));
        Eviction.Trim(_layout, 1L << 30);
        Assert.All(alive, p => Assert.False(Path.Exists(p), p));
    }

    [Fact]
    public void An_interrupted_removal_set_aside_in_staging_is_finished_by_the_next_trim()
    {
        Entry(1, 60);
        string doomed = Path.Join(_layout.Staging, Key(1) + ".deleting." + Guid.NewGuid().ToString("N"));
        Directory.Move(_layout.EntryDir(Key(1)), doomed);
        Directory.SetLastWriteTimeUtc(doomed, DateTime.UtcNow.AddHours(-2));
        Eviction.Trim(_layout, 1L << 30);
        Assert.False(Directory.Exists(doomed));
    }

    [Fact]
    public void Old_manifests_are_evicted_with_old_entries()
    {
        for (int i = 0; i < 4; i++)
        {
            Entry(i, minutesAgo: 60);
            _store.AddToManifest(Key(100 + i), new ManifestResult(Key(i), []));
            File.SetLastWriteTimeUtc(_layout.ManifestFile(Key(100 + i)), DateTime.UtcNow.AddMinutes(-60));
        }
        var r = Eviction.Trim(_layout, 100);
        Assert.Equal(4, r.EntriesRemoved);
        Assert.All(Enumerable.Range(100, 4), i => Assert.False(File.Exists(_layout.ManifestFile(Key(i)))));
    }

    /// <summary>A key in shard <paramref name="shard"/>.</summary>
    private static string Key(int shard, int i) => shard.ToString("x2") + i.ToString("x62");

    /// <summary>What the store holds, walked file by file: the truth the counters must agree with.</summary>
    private Dictionary<string, ShardUsage> Walk()
    {
        var usage = CacheShards.All.ToDictionary(s => s, _ => new ShardUsage());
        foreach (string dir in Directory.EnumerateDirectories(_layout.Entries, "*", SearchOption.AllDirectories)
            .Where(d => Path.GetFileName(d).Length == 64))
            usage[Path.GetFileName(dir)[..2]] += new ShardUsage(Directory.EnumerateFiles(dir).Sum(f => new FileInfo(f).Length), 1, 0);
        foreach (string file in Directory.EnumerateFiles(_layout.Manifests, "*.manifest", SearchOption.AllDirectories))
            usage[Path.GetFileName(file)[..2]] += new ShardUsage(new FileInfo(file).Length, 0, 1);
        return usage;
    }

    [Fact]
    public void Counters_stay_right_under_concurrent_publishers_without_a_recount()
    {
        var shards = new CacheShards(_layout);
        shards.ReadAll(); // every shard counted once (empty)
        // Four writers, each with its own store (as separate processes have), into the same three
        // shards: new entries, the same keys raced (one publication wins), manifests rewritten.
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
        {
            var store = new LocalStore(_layout);
            for (int i = 0; i < 60; i++)
            {
                store.Publish(Key(i % 3, w * 1000 + i), new CacheEntry { Outputs = [new("object", new byte[100 + i])], ExitCode = 0 });
                store.Publish(Key(i % 3, 9000 + i), new CacheEntry { Outputs = [new("object", new byte[50])], ExitCode = 0 });
                store.AddToManifest(Key(i % 3, 5000 + i % 7), new ManifestResult(Key(i % 3, w * 1000 + i), []));
            }
        });
        var (usage, recounted) = shards.ReadAll();
        Assert.Equal(0, recounted);
        Assert.Equal(Walk(), usage);
        Assert.Equal(4 * 60 + 60, usage.Values.Sum(u => u.Entries));
        Assert.Equal(21, usage.Values.Sum(u => u.Manifests));
    }

    [Fact]
    public void A_shard_whose_counter_looks_wrong_is_recounted_alone()
    {
        var shards = new CacheShards(_layout);
        shards.ReadAll();
        for (int i = 0; i < 3; i++) _store.Publish(Key(7, i), new CacheEntry { Outputs = [new("object", new byte[1000])], ExitCode = 0 });
        _store.Publish(Key(9, 0), new CacheEntry { Outputs = [new("object", new byte[1000])], ExitCode = 0 });
        // Counted when the shard's folder was last changed an hour ago (so the deletion below changes its mtime on any clock).
        Directory.SetLastWriteTimeUtc(Path.Join(_layout.Entries, "07"), DateTime.UtcNow.AddHours(-1));
        Assert.Equal(1, shards.ReadAll().Recounted);

        Directory.Delete(_layout.EntryDir(Key(7, 1)), recursive: true); // by hand, without the store
        var (usage, recounted) = shards.ReadAll();
        Assert.Equal(1, recounted);
        Assert.Equal(Walk(), usage);
        Assert.Equal(2, usage["07"].Entries);

        File.WriteAllText(Path.Join(_layout.Counters, "09"), "12"); // torn by a killed process
        (usage, recounted) = shards.ReadAll();
        Assert.Equal(1, recounted);
        Assert.Equal(Walk(), usage);
        Assert.Equal(0, shards.ReadAll().Recounted); // right now, and nothing left to recount
    }

    [Theory]
    [InlineData(false)] // a store adds an entry
    [InlineData(true)] // a trim removes one
    public void A_change_made_while_another_process_held_the_shard_is_recounted_whatever_the_holder_writes(bool trim)
    {
        var shards = new CacheShards(_layout);
        _store.Publish(Key(5, 0), new CacheEntry { Outputs = [new("object", new byte[1000])], ExitCode = 0 });
        _store.Publish(Key(5, 1), new CacheEntry { Outputs = [new("object", new byte[1000])], ExitCode = 0 });
        shards.ReadAll();
        string counter = Path.Join(_layout.Counters, "05");
        string counted = File.ReadAllText(counter)[..42]; // bytes, entries, manifests: two entries
        using (var held = new FileStream(counter, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            // Each waits for the lock, then goes ahead without it.
            if (trim) shards.Evict("05", targetBytes: 1500, protectedSince: DateTime.MaxValue);
            else _store.Publish(Key(5, 2), new CacheEntry { Outputs = [new("object", new byte[1000])], ExitCode = 0 });
            // The holder (a trim or store that counted before the change) writes what it counted, with the folders' mtimes
            // as they are now: a counter that looks current and misses the change.
            long Mtime(string parent) => Directory.GetLastWriteTimeUtc(Path.Join(parent, "05")).Ticks;
            held.Write(System.Text.Encoding.ASCII.GetBytes($"{counted}{Mtime(_layout.Entries),19} {Mtime(_layout.Manifests),19}"));
        }
        var (usage, recounted) = shards.ReadAll();
        Assert.Equal(1, recounted);
        Assert.Equal(Walk(), usage);
        Assert.Equal(trim ? 1 : 3, usage["05"].Entries);
        Assert.Equal(0, shards.ReadAll().Recounted); // right now, and nothing left to recount
    }

    [Fact]
    public void Each_shard_gives_up_its_least_recently_used_share_and_the_counters_follow()
    {
        foreach (int shard in new[] { 1, 2 })
            for (int i = 0; i < 6; i++)
            {
                _store.Publish(Key(shard, i), new CacheEntry { Outputs = [new("object", new byte[10_000])], ExitCode = 0 });
                // 0 the oldest
                File.SetLastWriteTimeUtc(Path.Join(_layout.EntryDir(Key(shard, i)), "meta"), DateTime.UtcNow.AddHours(-10 + i));
            }
        var r = Eviction.Trim(_layout, 8 * EntrySize); // to 7.2 entries' worth: each shard keeps 3
        Assert.Equal(6, r.EntriesRemoved);
        Assert.Equal(6, r.EntriesKept);
        foreach (int shard in new[] { 1, 2 })
        {
            Assert.All(new[] { 0, 1, 2 }, i => Assert.False(Directory.Exists(_layout.EntryDir(Key(shard, i)))));
            Assert.All(new[] { 3, 4, 5 }, i => Assert.True(Directory.Exists(_layout.EntryDir(Key(shard, i)))));
        }
        var (usage, recounted) = new CacheShards(_layout).ReadAll();
        Assert.Equal(0, recounted);
        Assert.Equal(Walk(), usage);
    }

    [Fact]
    public void A_corrupt_entry_removed_by_a_reader_leaves_its_shard_counted_right()
    {
        var shards = new CacheShards(_layout);
        _store.Publish(Key(4, 1), new CacheEntry { Outputs = [new("object", new byte[1000])], ExitCode = 0 });
        _store.Publish(Key(4, 2), new CacheEntry { Outputs = [new("object", new byte[1000])], ExitCode = 0 });
        shards.ReadAll();
        File.AppendAllText(Path.Join(_layout.EntryDir(Key(4, 1)), "out.object"), "x");
        Assert.Throws<CorruptEntryException>(() => _store.Read(Key(4, 1)));
        var (usage, _) = shards.ReadAll();
        Assert.Equal(Walk(), usage);
        Assert.Equal(1, usage["04"].Entries);
    }

    [Theory]
    [InlineData(100L << 30, 0, 50L << 30)]
    [InlineData(1L << 30, 3L << 30, 2L << 30)] // a nearly full disk: the cache gives back half of what it holds
    public void The_cache_keeps_to_half_of_the_space_left_to_it(long free, long cache, long cap) =>
        Assert.Equal(cap, CacheBudget.DiskCap(free, cache));
}
