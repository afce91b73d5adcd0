using Zccache.Core.Storage;

namespace Zccache.Core.Tests;

public class LocalStoreTests
{
    private static readonly string Key = new('a', 64);

    private static (TempDir Dir, LocalStore Store) NewStore()
    {
        var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        return (dir, new LocalStore(layout));
    }

    private static CacheEntry Entry() => new()
    {
        Outputs = [new("object", [1, 2, 3, 4]), new("depfile", "a.o: a.c\n"u8.ToArray())], Stdout = [], Stderr = "warning\n"u8.ToArray(),
        ExitCode = 0, CompileDurationNs = 123,
    };

    [Fact]
    public void Published_entries_read_back_whole()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        Assert.Null(store.Read(Key));
        Assert.True(store.Publish(Key, Entry()));
        var e = store.Read(Key)!;
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, e.Output("object")!.Data);
        Assert.Equal("warning\n"u8.ToArray(), e.Stderr);
        Assert.Equal(123, e.CompileDurationNs);
        Assert.Empty(Directory.GetFileSystemEntries(store.Layout.Staging));
    }

    [Fact]
    public void An_executable_output_stays_executable_locally_and_through_a_bundle_and_is_delivered_so()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        var entry = Entry() with { Outputs = [new("output", [7, 7]) { Executable = true }, new("depfile", [1])] };
        Assert.True(store.Publish(Key, entry));
        // The bit is the meta's, not the stored files' modes (a file system without modes would lose or invent them).
        string entryDir = store.Layout.EntryDir(Key);
        File.SetUnixFileMode(Path.Join(entryDir, "out.output"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(Path.Join(entryDir, "out.depfile"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var local = store.Read(Key)!;
        Assert.True(local.Output("output")!.Executable);
        Assert.False(local.Output("depfile")!.Executable);
        var remote = EntryBundle.Unpack(EntryBundle.Pack(Key, local), Key, out string? _)!;
        Assert.True(remote.Output("output")!.Executable);
        Assert.False(remote.Output("depfile")!.Executable);

        string program = dir["prog"], data = dir["data"];
        FileDelivery.Deliver(program, [7, 7], local.Output("output")!.PathInStore, executable: true);
        FileDelivery.Deliver(data, [1], null);
        Assert.True(FileDelivery.IsExecutable(program));
        Assert.False(FileDelivery.IsExecutable(data));
        // The same bytes in place without the bit are not "already in place".
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        FileDelivery.Deliver(program, [7, 7], null, executable: true);
        Assert.True(FileDelivery.IsExecutable(program));
    }

    [Fact]
    public void The_first_publication_wins()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        Assert.True(store.Publish(Key, Entry()));
        Assert.False(store.Publish(Key, Entry() with { Outputs = [new("object", [9])] }));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, store.Read(Key)!.Output("object")!.Data);
    }

    [Fact]
    public void Concurrent_publishers_leave_one_whole_entry()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        int wins = 0;
        Parallel.For(0, 16, i =>
            { if (store.Publish(Key, Entry() with { Outputs = [new("object", [(byte)i, 1, 2])] })) Interlocked.Increment(ref wins); });
        Assert.Equal(1, wins);
        Assert.NotNull(store.Read(Key));
    }

    [Theory]
    [InlineData("out.object", -1)]   // truncated
    [InlineData("out.object", 0)]    // flipped byte
    [InlineData("stderr", 2)]
    [InlineData("meta", 80)]
    [InlineData("meta", 3)]
    public void Corrupt_entries_are_detected_and_removed(string file, int flipAt)
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        store.Publish(Key, Entry());
        string path = Path.Join(store.Layout.EntryDir(Key), file);
        byte[] bytes = File.ReadAllBytes(path);
        if (flipAt < 0) bytes = bytes[..^1];
        else bytes[flipAt] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        Assert.Throws<CorruptEntryException>(() => store.Read(Key));
        Assert.False(Directory.Exists(store.Layout.EntryDir(Key)));
        Assert.Null(store.Read(Key));
    }

    [Fact]
    public void Empty_compiler_output_is_served_as_the_meta_records_it_whatever_its_file_holds()
    {
        // Not read at all (a hit's cheapest path): then a file changed behind the store's back cannot be what is replayed.
        var (dir, store) = NewStore();
        using var _ = dir;
        store.Publish(Key, Entry());
        File.WriteAllText(Path.Join(store.Layout.EntryDir(Key), "stdout"), "planted\n");
        var read = store.Read(Key)!;
        Assert.Empty(read.Stdout);
        Assert.Equal("warning\n"u8.ToArray(), read.Stderr);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, read.Output("object")!.Data);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    [InlineData("a b")]
    public void Output_names_that_are_not_plain_file_names_are_refused(string name)
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        Assert.Throws<ArgumentException>(() => store.Publish(Key, Entry() with { Outputs = [new(name, [1])] }));
        Assert.Null(store.Read(Key));
    }

    [Fact]
    public void Several_named_outputs_read_back_by_name()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        store.Publish(Key, Entry() with { Outputs = [new("link-rlib", [1]), new("metadata", [2, 2]), new("dep-info", [3])] });
        var e = store.Read(Key)!;
        Assert.Equal(["dep-info", "link-rlib", "metadata"], e.Outputs.Select(o => o.Name).Order());
        Assert.Equal(new byte[] { 2, 2 }, e.Output("metadata")!.Data);
        Assert.True(File.Exists(e.Output("link-rlib")!.PathInStore));
    }

    [Fact]
    public void Keys_are_validated_before_they_become_paths()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        Assert.Throws<InvalidDataException>(() => store.Read("../../etc/passwd"));
        Assert.Throws<InvalidDataException>(() => store.ReadManifest("ABC"));
    }

    [Fact]
    public void Manifests_keep_newest_first_and_drop_garbage()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        store.AddToManifest(Key, new ManifestResult(new string('1', 64), [new("/a.h", new string('2', 64))]));
        store.AddToManifest(Key, new ManifestResult(new string('3', 64), []));
        Assert.Equal(new[] { new string('3', 64), new string('1', 64) }, store.ReadManifest(Key)!.Results.Select(r => r.ArtifactKey));
        File.WriteAllText(store.Layout.ManifestFile(Key),
            "ZCMF1\ngarbage that is not a manifest at all, long enough to pass the length check");
        Assert.Null(store.ReadManifest(Key));
    }

    [Fact]
    public void Manifests_round_trip_and_reject_flipped_bytes()
    {
        var m = new Manifest([new ManifestResult(new string('c', 64),
            [new("/usr/include/stdio.h", new string('d', 64)) { Stamp = new(1, 2, 3, 4) }, new("/p/a b.h", new string('e', 64))])
        {
            Absent = AbsentGroup.From(["/p/inc1/a b.h", "/p/inc1/stdio.h", "/p/inc0/x.h"]),
        }]);
        byte[] bytes = m.ToBytes(Key);
        var back = Manifest.FromBytes(bytes, Key, out _)!;
        Assert.Equal(m.Results[0].ArtifactKey, back.Results[0].ArtifactKey);
        Assert.Equal(m.Results[0].Dependencies, back.Results[0].Dependencies);
        Assert.Equal(new[] { ("/p/inc1", "a b.h,stdio.h"), ("/p/inc0", "x.h") },
            back.Results[0].Absent.Select(g => (g.Directory, string.Join(',', g.Names))));
        for (int i = 0; i < bytes.Length; i += 7)
        {
            byte[] flipped = (byte[])bytes.Clone();
            flipped[i] ^= 0x10;
            Assert.Null(Manifest.FromBytes(flipped, Key, out string? why));
            Assert.NotNull(why);
        }
        Assert.Null(Manifest.FromBytes(bytes[..^1], Key, out _));
    }

    [Fact]
    public void An_entry_or_a_manifest_under_another_key_is_refused_and_removed()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        string other = new('b', 64);
        store.Publish(Key, Entry());
        Directory.CreateDirectory(Path.GetDirectoryName(store.Layout.EntryDir(other))!);
        Directory.Move(store.Layout.EntryDir(Key), store.Layout.EntryDir(other));
        Assert.Contains("published for key " + Key, Assert.Throws<CorruptEntryException>(() => store.Read(other)).Message);
        Assert.False(Directory.Exists(store.Layout.EntryDir(other)));

        store.AddToManifest(Key, new ManifestResult(new string('1', 64), []));
        Directory.CreateDirectory(Path.GetDirectoryName(store.Layout.ManifestFile(other))!);
        File.Copy(store.Layout.ManifestFile(Key), store.Layout.ManifestFile(other));
        Assert.Contains("describes context " + Key, Assert.Throws<CorruptEntryException>(() => store.ReadManifest(other)).Message);
        Assert.False(File.Exists(store.Layout.ManifestFile(other)));
        Assert.NotNull(store.ReadManifest(Key));
    }

    [Fact]
    public void An_entry_of_an_earlier_format_is_a_miss_and_is_replaced()
    {
        var (dir, store) = NewStore();
        using var _ = dir;
        store.Publish(Key, Entry());
        string meta = Path.Join(store.Layout.EntryDir(Key), "meta");
        byte[] body = "zccache-entry 2\nexit_code 0\nduration_ns 1\n"u8.ToArray();
        File.WriteAllBytes(meta, [.. System.Text.Encoding.ASCII.GetBytes(Hashing.ContentHash.Of(body).Hex + "\n"), .. body]);
        Assert.Null(store.Read(Key));
        Assert.True(store.Publish(Key, Entry()));
        Assert.NotNull(store.Read(Key));
    }

    [Fact]
    public void Cache_root_is_private_to_its_owner()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(Path.Join(dir.Path, "fresh"));
        layout.EnsureCreated();
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(layout.Root));
    }
}

public class RemoteFormatTests
{
    private static CacheEntry Entry() => new()
    {
        Outputs = [new("object", [1, 2, 3]), new("depfile", "a.o: a.c\n"u8.ToArray())], Stdout = [7], Stderr = "warn\n"u8.ToArray(),
        ExitCode = 0, CompileDurationNs = 99,
    };

    [Fact]
    public void A_bundle_round_trips_and_any_flipped_byte_is_refused()
    {
        byte[] packed = EntryBundle.Pack(Key, Entry());
        var back = EntryBundle.Unpack(packed, Key, out _)!;
        Assert.Equal(new byte[] { 1, 2, 3 }, back.Output("object")!.Data);
        Assert.Equal("warn\n"u8.ToArray(), back.Stderr);
        Assert.Equal(99, back.CompileDurationNs);
        for (int i = 0; i < packed.Length; i++)
        {
            byte[] flipped = (byte[])packed.Clone();
            flipped[i] ^= 0x20;
            var e = EntryBundle.Unpack(flipped, Key, out _);
            Assert.True(e is null
                || (e.Output("object")!.Data.SequenceEqual(new byte[] { 1, 2, 3 }) && e.Stderr.SequenceEqual("warn\n"u8.ToArray())),
                $"byte {i}: a changed bundle must be refused or decode to the same entry");
        }
        Assert.Null(EntryBundle.Unpack([1, 2, 3], Key, out string? why));
        Assert.NotNull(why);
    }

    private static readonly string Key = new('e', 64);

    [Fact]
    public void A_bundle_or_a_manifest_read_under_another_key_is_refused()
    {
        string other = new('f', 64);
        Assert.Null(EntryBundle.Unpack(EntryBundle.Pack(Key, Entry()), other, out string? why));
        Assert.Contains(Key, why);
        byte[] manifest = EntryBundle.Compress(new Manifest([new ManifestResult(new string('1', 64), [])]).ToBytes(Key));
        Assert.Null(Manifest.FromBytes(EntryBundle.Decompress(manifest)!, other, out why));
        Assert.Contains(Key, why);
    }

    [Fact]
    public void Values_of_an_earlier_format_are_misses_not_corruptions()
    {
        Assert.Null(EntryBundle.Unpack(EntryBundle.Compress("ZCEB1\nwhatever was in it"u8), Key, out string? why));
        Assert.Null(why);
        Assert.Null(Manifest.FromBytes("ZCMF2\nwhatever was in it"u8.ToArray(), Key, out why));
        Assert.Null(why);
    }

    [Theory]
    [InlineData(null, null, null, false)]
    [InlineData(null, "pull_request", null, true)]
    [InlineData(null, null, "PullRequest", true)]
    [InlineData("false", "pull_request", null, false)]
    [InlineData("true", null, null, true)]
    public void Remotes_are_read_only_by_default_in_pull_requests(string? readOnly, string? githubEvent, string? azureReason, bool expected)
    {
        var env = new Dictionary<string, string?> { ["GITHUB_EVENT_NAME"] = githubEvent, ["BUILD_REASON"] = azureReason };
        var remote = Storage.Remote.RemoteStore.From("http://127.0.0.1:1/cache", readOnly, n => env.GetValueOrDefault(n))!;
        Assert.Equal(expected, remote.ReadOnly);
    }

    [Theory]
    [InlineData("ftp://host/x")]
    [InlineData("http://host/x|layout=weird")]
    [InlineData("redis://a:6379,,b:6380")]
    [InlineData("redis://a:port")]
    [InlineData("redis://a:6379/zero")]
    [InlineData("redis:///0")]
    [InlineData("redis://a:6379?ssl=true")] // TLS is rediss://
    [InlineData("redis://a:6379/0?user=x@b:1")] // not a password for host b
    [InlineData("rediss://")]
    public void A_remote_url_that_cannot_be_used_is_refused(string url) =>
        Assert.Throws<FormatException>(() => Storage.Remote.RemoteStore.From(url, null, _ => null));

    [Theory]
    [InlineData("redis://cache", "cache:6379", 0, null, null)]
    [InlineData("redis://10.0.0.1:7000,10.0.0.2:7001, 10.0.0.3 /0", "10.0.0.1:7000 10.0.0.2:7001 10.0.0.3:6379", 0, null, null)]
    [InlineData("redis://:s%40cret@a:1,b:2/3", "a:1 b:2", 3, null, "s@cret")]
    [InlineData("redis://zc:pw@a", "a:6379", 0, "zc", "pw")]
    public void A_redis_url_names_every_endpoint_of_the_deployment(string url, string endpoints, int db, string? user, string? password)
    {
        var options = Storage.Remote.RedisRemote.Options(url);
        options.SetDefaultPorts();
        Assert.Equal(endpoints, string.Join(' ', options.EndPoints.Select(StackExchange.Redis.EndPointCollection.ToString)));
        Assert.Equal((db, user, password), (options.DefaultDatabase ?? 0, options.User, options.Password));
    }

    [Fact]
    public void A_rediss_url_speaks_tls_to_the_port_6380_unless_given()
    {
        var tls = Storage.Remote.RedisRemote.Options("rediss://zc:pw@cache,cache2:7000/2");
        tls.SetDefaultPorts();
        Assert.Equal((true, "cache:6380 cache2:7000", 2, "zc", "pw"), (tls.Ssl,
            string.Join(' ', tls.EndPoints.Select(StackExchange.Redis.EndPointCollection.ToString)), tls.DefaultDatabase, tls.User, tls.Password));
        Assert.False(Storage.Remote.RedisRemote.Options("redis://cache").Ssl);
        var e = Assert.Throws<FormatException>(() => Storage.Remote.RedisRemote.Options("redis://:secret@cache:6379/0?ssl=true"));
        Assert.Contains("rediss://", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Fact]
    public void Credentials_never_appear_in_messages()
    {
        Assert.Equal("https://***@cache.example/zc",
            Storage.Remote.RemoteStore.Redacted("https://user:secret@cache.example/zc|bearer-token=abc"));
        // A password holding '@' is hidden whole; an '@' in the path is not user information.
        Assert.Equal("redis://***@h1:6379", Storage.Remote.RemoteStore.Redacted("redis://:p@ss@w0rd@h1:6379"));
        Assert.Equal("https://cache.example/a@b", Storage.Remote.RemoteStore.Redacted("https://cache.example/a@b"));
        Assert.Equal("redis://***@h", Storage.Remote.RemoteStore.Redacted("redis://:ab/c?d@h"));
        var e = Assert.Throws<FormatException>(() => Storage.Remote.RedisRemote.Options("redis://:ab/c?d@h"));
        Assert.DoesNotContain("ab/c", e.Message);
    }

    [Fact]
    public void An_unreachable_remote_fails_fast_once_and_then_stays_off()
    {
        var remote = Storage.Remote.RemoteStore.From("http://127.0.0.1:1/cache", "false", _ => null)!;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(remote.Get(Storage.Remote.RemoteNamespace.Manifest, new string('a', 64)));
        Assert.NotNull(remote.Failure);
        Assert.Equal("ZC1008", remote.TakeFailureDiagnostic()!.Code);
        Assert.Null(remote.TakeFailureDiagnostic());
        Assert.Null(remote.Get(Storage.Remote.RemoteNamespace.Manifest, new string('b', 64)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
    }
}
