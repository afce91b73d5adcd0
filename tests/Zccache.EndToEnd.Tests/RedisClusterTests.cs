namespace Zccache.EndToEnd.Tests;

/// <summary>
/// The shared cache on a three-node Redis Cluster started by the test: keys spread over the nodes, a second
/// machine's empty cache is served from it, and a node stopped mid-build is a remote fault, never a failed build.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class RedisClusterTests(PackageFeed feed) : IDisposable
{
    private const int Sources = 16; // 4 from the library, 12 generated: 32 keys, enough to land on every node
    private readonly Workspace _ws = new(feed, "redis-cluster");
    private RedisCluster? _cluster;

    public void Dispose()
    {
        _cluster?.Dispose();
        _ws.Dispose();
    }

    private RedisCluster Cluster() => _cluster ??= new RedisCluster(_ws["redis"]);

    private BuildResult Build(string cacheDir, string url) =>
        _ws.Run(["build", "app/app.csproj"], new() { ["ZCCACHE_CACHE_DIR"] = _ws[cacheDir], ["ZCCACHE_REMOTE"] = url });

    private void App()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        for (int i = 0; i < Sources - 4; i++)
            _ws.Write($"app/native/src/gen/gen{i}.c", $"int gen{i}(int x) {{ return x * {i + 3} + {i}; }}\n");
        _ws.Project("app/app.csproj", NativeSources.Items());
    }

    [Fact]
    public void Two_caches_share_the_cluster_and_its_keys_spread_over_every_node()
    {
        App();
        var cluster = Cluster();
        var first = Build("cache-one", cluster.Url); // one node named: the client finds the others
        Assert.True(first.Succeeded, first.Output);
        Assert.Equal((Sources, Sources, 0L), (first.Stats!.Compilations, first.Stats.Misses, first.Stats.RemoteHits));
        Assert.Equal(2 * Sources, cluster.Count); // an entry and a manifest per source
        Assert.All(cluster.Nodes, n => Assert.InRange(n.Count, 1, 2 * Sources - 2));
        var objects = _ws.Objects("app/obj/Debug/net10.0/zccache");

        _ws.Delete("app/obj");
        var second = Build("cache-two", cluster.UrlOfAll); // an empty local cache: another machine
        Assert.True(second.Succeeded, second.Output);
        Assert.Equal((Sources, Sources, Sources), (second.Stats!.Compilations, second.Stats.Hits, second.Stats.RemoteHits));
        Assert.Contains($"{Sources} hits ({Sources} remote)", second.Output);
        Assert.Equal(objects, _ws.Objects("app/obj/Debug/net10.0/zccache"));
        Assert.Equal(2 * Sources, cluster.Count);
    }

    [Fact]
    public void A_node_stopped_mid_build_gives_one_warning_and_the_build_passes()
    {
        App();
        var cluster = Cluster();
        var build = Task.Run(() => Build("cache-lost", cluster.UrlOfAll));
        // Stopped once the first compile has stored its entry: the node's slots fail, then the whole cluster (CLUSTERDOWN).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (cluster.Count == 0 && !build.IsCompleted && waited.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(20);
        Assert.False(build.IsCompleted, "the build ended before a value reached the cluster");
        cluster.Nodes[1].Stop();
        var r = build.Result;
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((Sources, Sources), (r.Stats!.Compilations, r.Stats.Misses));
        // Said once (the console logger repeats warnings in its closing list: count distinct lines).
        Assert.Single(r.Output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("warning ZC1008")).Distinct());
        Assert.Equal(1L, r.Stats.RemoteFaults);
        Assert.Contains("the remote cache failed, local cache only", r.Output);
        Assert.Equal(Sources, _ws.Objects("app/obj/Debug/net10.0/zccache").Count);
    }
}
