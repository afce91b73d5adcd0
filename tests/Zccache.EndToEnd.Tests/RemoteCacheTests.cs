namespace Zccache.EndToEnd.Tests;

/// <summary>A shared remote cache on real servers (nginx with WebDAV,
/// redis-server): two machines' worth of local caches, one remote.</summary>
[Collection(BuildCollection.Name)]
public sealed class RemoteCacheTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "remote");
    private LocalServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _ws.Dispose();
    }

    private string _kind = "http";

    private LocalServer Server() => _server ??= _kind switch
    {
        "redis" => new RedisServer(_ws["redis"]),
        "rediss" => new RedisServer(_ws["redis"], tls: true),
        _ => new WebDavServer(_ws["nginx"]),
    };

    /// <summary>A build with the remote; a TLS one's CA trusted (SSL_CERT_FILE) unless <paramref name="more"/> says otherwise.</summary>
    private BuildResult Build(string cacheDir, Dictionary<string, string?>? more = null)
    {
        string url = _kind == "bazel" ? Server().Url + "|layout=bazel" : Server().Url;
        var env = new Dictionary<string, string?> { ["ZCCACHE_CACHE_DIR"] = _ws[cacheDir], ["ZCCACHE_REMOTE"] = url };
        if (Server() is RedisServer { Url: var u } redis && u.StartsWith("rediss:", StringComparison.Ordinal)) env["SSL_CERT_FILE"] = redis.CaFile;
        foreach (var (k, v) in more ?? []) env[k] = v;
        return _ws.Run(["build", "app/app.csproj"], env);
    }

    private void App()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", NativeSources.Items());
    }

    [Fact]
    public void A_linked_library_is_a_link_hit_from_the_remote_on_another_machine()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", NativeSources.Items(),
            "<ZccacheNativeOutput>SharedLibrary</ZccacheNativeOutput><ZccacheNativeName>shared</ZccacheNativeName>");
        var first = Build("cache-one");
        Assert.True(first.Succeeded, first.Output);
        Assert.Equal((4L, (0L, 1L, 0L)), (first.Stats!.Misses, first.Stats.Links));
        byte[] library = File.ReadAllBytes(_ws["app/bin/Debug/net10.0/libshared.so"]);

        _ws.Delete("app/obj");
        _ws.Delete("app/bin");
        var second = Build("cache-two"); // an empty local cache: another machine
        Assert.True(second.Succeeded, second.Output);
        Assert.Equal((4L, 0L, (1L, 0L, 0L)), (second.Stats!.Hits, second.Stats.Misses, second.Stats.Links));
        Assert.Equal(library, File.ReadAllBytes(_ws["app/bin/Debug/net10.0/libshared.so"]));
        Assert.True((File.GetUnixFileMode(_ws["app/bin/Debug/net10.0/libshared.so"]) & UnixFileMode.UserExecute) != 0);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("bazel")] // bazel-remote's layout: values in /cas/<their sha256>, pointers in /ac/<key>
    [InlineData("redis")]
    [InlineData("rediss")] // Redis over TLS
    public void A_second_local_cache_is_served_entirely_from_the_remote_with_identical_objects(string kind)
    {
        _kind = kind;
        App();
        var first = Build("cache-one");
        Assert.True(first.Succeeded, first.Output);
        Assert.Equal((4L, 4L, 0L), (first.Stats!.Compilations, first.Stats.Misses, first.Stats.RemoteHits));
        Assert.Equal(kind == "bazel" ? 16 : 8, Server().Count); // an entry and a manifest per source (and their pointers)
        var objects = _ws.Objects("app/obj/Debug/net10.0/zccache");

        _ws.Delete("app/obj");
        var second = Build("cache-two"); // an empty local cache: another machine
        Assert.True(second.Succeeded, second.Output);
        Assert.Equal((4L, 4L, 4L), (second.Stats!.Compilations, second.Stats.Hits, second.Stats.RemoteHits));
        Assert.Contains("4 hits (4 remote)", second.Output);
        Assert.Equal(objects, _ws.Objects("app/obj/Debug/net10.0/zccache"));

        // Backfilled: the next build is served by the local cache alone.
        _ws.Delete("app/obj");
        var third = Build("cache-two");
        Assert.Equal((4L, 0L), (third.Stats!.Hits, third.Stats.RemoteHits));
    }

    [Fact]
    public void A_tls_remote_whose_certificate_is_not_trusted_is_not_used_and_the_build_passes()
    {
        _kind = "rediss";
        App();
        // The system's trusted roots do not hold the server's CA.
        var r = Build("cache-untrusted", new() { ["SSL_CERT_FILE"] = "/etc/ssl/certs/ca-certificates.crt" });
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((4L, 0L), (r.Stats!.Misses, r.Stats.RemoteHits));
        Assert.Contains("failed (cannot connect: AuthenticationFailure)", r.Output); // the handshake, not the port, failed
        Assert.Equal(0, Server().Count);
    }

    [Fact]
    public void Pull_request_builds_read_but_never_write()
    {
        App();
        var pr = Build("cache-pr", new() { ["GITHUB_EVENT_NAME"] = "pull_request" });
        Assert.True(pr.Succeeded, pr.Output);
        Assert.Equal(4L, pr.Stats!.Misses);
        Assert.Equal(0, Server().Count);
        // Forced read-write.
        _ws.Delete("app/obj");
        var rw = Build("cache-rw", new() { ["GITHUB_EVENT_NAME"] = "pull_request", ["ZCCACHE_REMOTE_READ_ONLY"] = "false" });
        Assert.True(rw.Succeeded, rw.Output);
        Assert.Equal(8, Server().Count);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("redis")]
    public void A_remote_killed_mid_build_gives_one_warning_and_the_build_passes(string kind)
    {
        _kind = kind;
        App();
        var server = Server();
        var build = Task.Run(() => Build("cache-lost"));
        // Killed once the first compile has stored its entry there.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (server.Count == 0 && !build.IsCompleted && waited.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(20);
        server.Stop();
        var r = build.Result;
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal(4L, r.Stats!.Misses);
        // Said once per project (the console logger repeats warnings in its closing list: count distinct lines).
        Assert.Single(r.Output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("warning ZC1008")).Distinct());
        Assert.Equal(1L, r.Stats.RemoteFaults);
        Assert.Contains("the remote cache failed, local cache only", r.Output);

        // And a build with the remote gone from the start.
        _ws.Delete("app/obj");
        var gone = Build("cache-gone");
        Assert.True(gone.Succeeded, gone.Output);
        Assert.Contains("warning ZC1008", gone.Output);
    }

    [Fact]
    public void A_corrupt_value_on_the_remote_is_refused_and_the_compile_runs()
    {
        App();
        Assert.True(Build("cache-a").Succeeded);
        foreach (string f in ((WebDavServer)Server()).Files)
        {
            byte[] bytes = File.ReadAllBytes(f);
            bytes[^3] ^= 0x55;
            File.WriteAllBytes(f, bytes);
        }
        _ws.Delete("app/obj");
        var r = Build("cache-b");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((4L, 0L), (r.Stats!.Misses, r.Stats.RemoteHits));
    }

    [Theory]
    [InlineData("e")]
    [InlineData("m")]
    public void Values_rotated_between_keys_on_the_remote_are_refused_and_the_objects_stay_right(string kind)
    {
        App();
        var first = Build("cache-a");
        Assert.True(first.Succeeded, first.Output);
        var objects = _ws.Objects("app/obj/Debug/net10.0/zccache");
        // Each entry (or manifest) file gets the next one's bytes: every value is valid, under the wrong key.
        var files = ((WebDavServer)Server()).Files
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f)!).StartsWith(kind, StringComparison.Ordinal)).Order().ToArray();
        Assert.Equal(4, files.Length);
        var values = files.Select(File.ReadAllBytes).ToArray();
        for (int i = 0; i < files.Length; i++) File.WriteAllBytes(files[i], values[(i + 1) % files.Length]);

        _ws.Delete("app/obj");
        var r = Build("cache-b");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((4L, 0L), (r.Stats!.Misses, r.Stats.RemoteHits));
        Assert.Contains("warning ZC1003", r.Output);
        Assert.Equal(objects, _ws.Objects("app/obj/Debug/net10.0/zccache"));

        // The misses wrote the right values back: a third machine is served, correctly.
        _ws.Delete("app/obj");
        var third = Build("cache-c");
        Assert.Equal((4L, 4L), (third.Stats!.Hits, third.Stats.RemoteHits));
        Assert.Equal(objects, _ws.Objects("app/obj/Debug/net10.0/zccache"));
    }
}
