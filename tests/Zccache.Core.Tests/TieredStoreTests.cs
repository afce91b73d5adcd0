using Zccache.Core.Storage;
using Zccache.Core.Storage.Remote;

namespace Zccache.Core.Tests;

/// <summary>A remote held in memory: what was written, and how often it was asked.</summary>
internal sealed class MemoryRemote : RemoteStore
{
    public Dictionary<string, byte[]> Values { get; } = [];
    public int Gets { get; private set; }

    protected override byte[]? GetCore(string name)
    {
        Gets++;
        return Values.GetValueOrDefault(name);
    }

    protected override void PutCore(string name, byte[] value) => Values[name] = value;
}

/// <summary>The local store and the remote as one: which tier is asked, what is written where, what is backfilled.</summary>
public sealed class TieredStoreTests : IDisposable
{
    private const string Context = "c0ffee0000000000000000000000000000000000000000000000000000000000";
    private const string Artifact = "a11ce00000000000000000000000000000000000000000000000000000000000";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private LocalStore Local(string name)
    {
        var layout = new CacheLayout(_dir[name]);
        layout.EnsureCreated();
        return new LocalStore(layout);
    }

    private static readonly CacheEntry Entry = new()
    {
        Outputs = [new EntryOutput("object", [1, 2, 3])], Stdout = [4], ExitCode = 0,
        CompileDurationNs = 5
    };
    private static readonly ManifestResult Result = new(Artifact, [new RecordedDependency("/src/a.c", new string('d', 64))]);

    [Fact]
    public void A_read_only_remote_is_never_written()
    {
        var remote = new MemoryRemote { Url = "memory://", ReadOnly = true };
        var local = Local("cache");
        Assert.True(new TieredStore(local, remote).Publish(Context, Result, Entry));
        Assert.Empty(remote.Values);
        Assert.Equal(new byte[] { 4 }, local.Read(Artifact)!.Stdout);
        Assert.Equal(Artifact, local.ReadManifest(Context)!.Results.Single().ArtifactKey);
    }

    [Fact]
    public void A_remote_hit_is_backfilled_into_the_local_store()
    {
        var remote = new MemoryRemote { Url = "memory://" };
        new TieredStore(Local("writer"), remote).Publish(Context, Result, Entry);
        Assert.Equal(new[] { "e" + Artifact, "m" + Context }, remote.Values.Keys.Order());

        var local = Local("reader");
        var reader = new TieredStore(local, remote);
        var tiers = reader.Results(Context).ToList();
        Assert.Equal(new[] { (0, false), (1, true) }, tiers.Select(t => (t.Results.Count, t.FromRemote)));
        Assert.Equal(Artifact, local.ReadManifest(Context)!.Results.Single().ArtifactKey); // the result, backfilled

        var (entry, fromRemote) = reader.Read(Artifact);
        Assert.True(fromRemote);
        Assert.Equal(new byte[] { 1, 2, 3 }, entry!.Output("object")!.Data);
        Assert.NotNull(local.Read(Artifact)); // the entry, backfilled
        Assert.False(reader.Read(Artifact).FromRemote);
    }

    [Fact]
    public void The_remote_is_asked_only_when_the_local_tier_served_nothing()
    {
        var remote = new MemoryRemote { Url = "memory://" };
        var store = new TieredStore(Local("cache"), remote);
        store.Publish(Context, Result, Entry);
        Assert.Single(store.Results(Context).Take(1).Single().Results);
        Assert.False(store.Read(Artifact).FromRemote);
        Assert.Equal(0, remote.Gets);
    }

    [Fact]
    public void A_result_the_local_manifest_has_is_not_offered_again_by_the_remote()
    {
        var remote = new MemoryRemote { Url = "memory://" };
        var store = new TieredStore(Local("cache"), remote);
        store.Publish(Context, Result, Entry);
        Assert.Equal(new[] { (1, false), (0, true) }, store.Results(Context).Select(t => (t.Results.Count, t.FromRemote)));
    }

    [Fact]
    public void A_torn_local_entry_is_refused_removed_and_then_a_miss()
    {
        var local = Local("cache");
        var store = new TieredStore(local, null);
        store.Publish(Context, Result, Entry);
        string obj = Path.Join(local.Layout.EntryDir(Artifact), "out.object");
        File.WriteAllBytes(obj, File.ReadAllBytes(obj)[..1]); // a write cut short

        Assert.Throws<CorruptEntryException>(() => store.Read(Artifact));
        Assert.False(Directory.Exists(local.Layout.EntryDir(Artifact)));
        var (entry, fromRemote) = store.Read(Artifact);
        Assert.Equal((null, false), (entry, fromRemote));
    }
}
