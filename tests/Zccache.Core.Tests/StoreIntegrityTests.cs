using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;
using Zccache.Core.Storage.Remote;
using Zccache.Testing;

namespace Zccache.Core.Tests;

/// <summary>
/// The store proves what it serves, tested as an attacker would: values swapped between keys
/// (locally, in redis-server, behind nginx), broken entry shapes. The real gcc compiles; every
/// object is compared with the bare compiler's, byte for byte.
/// </summary>
public sealed class StoreIntegrityTests : IDisposable
{
    private readonly TempDir _dir = new();
    private LocalServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _dir.Dispose();
    }

    private CompileCache Cache(string name = "cache", RemoteStore? remote = null) =>
        CompileCache.Open(_dir[name], new FileHashMemo(), remote: remote);

    private CompileResult Compile(CompileCache cache, string source)
    {
        string obj = _dir["src/" + Path.ChangeExtension(source, ".o")];
        if (File.Exists(obj)) File.Delete(obj);
        return cache.Compile(new CompileInvocation
        {
            Compiler = "gcc", Arguments = ["-c", source, "-o", Path.ChangeExtension(source, ".o")],
            WorkingDirectory = _dir["src"]
        });
    }

    private byte[] Object(string source) => File.ReadAllBytes(_dir["src/" + Path.ChangeExtension(source, ".o")]);

    /// <summary>What gcc itself produces for <paramref name="source"/>, with no cache.</summary>
    private byte[] Bare(string source)
    {
        var run = CompilerProcess.Run(CompilerIdentity.Resolve("gcc", "/")!, ["-c", source, "-o", "bare.o"], _dir["src"]);
        Assert.Equal(0, run.ExitCode);
        return File.ReadAllBytes(_dir["src/bare.o"]);
    }

    private void Sources()
    {
        foreach (var (name, text) in new[] { ("a.c", "int a(void) { return 1; }\n"), ("b.c", "int b(void) { return 2; }\n") })
            File.SetLastWriteTimeUtc(_dir.Write("src/" + name, text), DateTime.UtcNow.AddMinutes(-1));
    }

    private static string ArtifactOf(CompileCache cache, CompileResult result) =>
        new LocalStore(cache.Layout!).ReadManifest(result.Outcome.ContextKey!)!.Results[0].ArtifactKey;

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Join(to, Path.GetFileName(f)));
    }

    /// <summary>b.c compiled again must give b's own object: first refused with ZC1003 and compiled, then a hit.</summary>
    private void AssertRefusedThenHealed(CompileCache cache)
    {
        var refused = Compile(cache, "b.c");
        Assert.Equal(OutcomeKind.Miss, refused.Outcome.Kind);
        Assert.Contains(refused.Diagnostics, d => d.Code == ZcCodes.CorruptEntry);
        Assert.Equal(Bare("b.c"), Object("b.c"));
        var again = Compile(cache, "b.c");
        Assert.Equal(OutcomeKind.Hit, again.Outcome.Kind);
        Assert.Empty(again.Diagnostics);
        Assert.Equal(Bare("b.c"), Object("b.c"));
    }

    [Fact]
    public void A_local_entry_under_another_key_is_refused_and_compiled_again()
    {
        Sources();
        var cache = Cache();
        var a = Compile(cache, "a.c");
        var b = Compile(cache, "b.c");
        string entryOfB = cache.Layout!.EntryDir(ArtifactOf(cache, b));
        Directory.Delete(entryOfB, recursive: true);
        CopyFolder(cache.Layout.EntryDir(ArtifactOf(cache, a)), entryOfB);
        AssertRefusedThenHealed(cache);
    }

    [Fact]
    public void A_local_manifest_under_another_context_is_refused_and_compiled_again()
    {
        Sources();
        var cache = Cache();
        var a = Compile(cache, "a.c");
        var b = Compile(cache, "b.c");
        // a.c's manifest says a.c is unchanged: taken for b.c's, it would serve a's object as b.o.
        File.Copy(cache.Layout!.ManifestFile(a.Outcome.ContextKey!), cache.Layout.ManifestFile(b.Outcome.ContextKey!), overwrite: true);
        AssertRefusedThenHealed(cache);
    }

    private RemoteStore Remote(string kind)
    {
        _server = kind == "redis" ? new RedisServer(_dir["redis"]) : new WebDavServer(_dir["nginx"]);
        return RemoteStore.From(_server.Url, "false", _ => null)!;
    }

    [Theory]
    [InlineData("redis", RemoteNamespace.Entry)]
    [InlineData("redis", RemoteNamespace.Manifest)]
    [InlineData("http", RemoteNamespace.Entry)]
    [InlineData("http", RemoteNamespace.Manifest)]
    public void A_remote_value_under_another_key_is_refused_never_backfilled_and_overwritten(string kind, RemoteNamespace swapped)
    {
        Sources();
        var remote = Remote(kind);
        var one = Cache("cache-one", remote);
        var a = Compile(one, "a.c");
        var b = Compile(one, "b.c");
        Assert.Equal(4, _server!.Count);
        // A writer stores a's value under b's key.
        var (keyOfA, keyOfB) = swapped == RemoteNamespace.Entry ? (ArtifactOf(one, a), ArtifactOf(one, b))
            : (a.Outcome.ContextKey!, b.Outcome.ContextKey!);
        remote.Put(swapped, keyOfB, remote.Get(swapped, keyOfA)!);

        // Another machine: refused, compiled, its own store holds b's object, and the remote's value is replaced.
        AssertRefusedThenHealed(Cache("cache-two", RemoteStore.From(_server.Url, "false", _ => null)));
        var three = Compile(Cache("cache-three", RemoteStore.From(_server.Url, "true", _ => null)), "b.c");
        Assert.Equal((OutcomeKind.Hit, true), (three.Outcome.Kind, three.Outcome.Remote));
        Assert.Equal(Bare("b.c"), Object("b.c"));
    }

    [Theory]
    [InlineData("empty entry folder")]
    [InlineData("entry folder without meta")]
    [InlineData("meta is a folder")]
    [InlineData("entry is a file")]
    [InlineData("object is a folder")]
    [InlineData("entry shard is a file")]
    [InlineData("manifest is a folder")]
    [InlineData("manifest shard is a file")]
    public void A_broken_entry_heals_on_the_next_miss(string damage)
    {
        Sources();
        var cache = Cache();
        var b = Compile(cache, "b.c");
        string entry = cache.Layout!.EntryDir(ArtifactOf(cache, b));
        string manifest = cache.Layout.ManifestFile(b.Outcome.ContextKey!);
        switch (damage)
        {
            case "empty entry folder":
                Directory.Delete(entry, recursive: true);
                Directory.CreateDirectory(entry);
                break;
            case "entry folder without meta":
                File.Delete(Path.Join(entry, "meta"));
                break;
            case "meta is a folder":
                File.Delete(Path.Join(entry, "meta"));
                Directory.CreateDirectory(Path.Join(entry, "meta"));
                break;
            case "entry is a file":
                Directory.Delete(entry, recursive: true);
                File.WriteAllText(entry, "x");
                break;
            case "object is a folder":
                File.Delete(Path.Join(entry, "out.object"));
                Directory.CreateDirectory(Path.Join(entry, "out.object"));
                break;
            case "entry shard is a file":
                Directory.Delete(Path.GetDirectoryName(entry)!, recursive: true);
                File.WriteAllText(Path.GetDirectoryName(entry)!, "x");
                break;
            case "manifest is a folder":
                File.Delete(manifest);
                Directory.CreateDirectory(manifest);
                break;
            case "manifest shard is a file":
                Directory.Delete(Path.GetDirectoryName(manifest)!, recursive: true);
                File.WriteAllText(Path.GetDirectoryName(manifest)!, "x");
                break;
        }

        var next = Compile(cache, "b.c");
        Assert.Equal(OutcomeKind.Miss, next.Outcome.Kind);
        Assert.DoesNotContain(next.Diagnostics, d => d.Code == ZcCodes.CacheIoError);
        Assert.Equal(Bare("b.c"), Object("b.c"));
        var healed = Compile(cache, "b.c");
        Assert.Equal(OutcomeKind.Hit, healed.Outcome.Kind);
        Assert.Empty(healed.Diagnostics);
        Assert.Equal(Bare("b.c"), Object("b.c"));
    }
}

/// <summary>Remotes that lie or hang: signed values, a remote that answers nothing.</summary>
public sealed class RemoteTrustTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly RedisServer _redis;

    public RemoteTrustTests() => _redis = new RedisServer(Path.Join(_dir.Path, "redis"));

    public void Dispose()
    {
        _redis.Dispose();
        _dir.Dispose();
    }

    private RemoteStore Remote(string? signingKey, string readOnly = "false") =>
        RemoteStore.From(_redis.Url, readOnly, n => n == "ZCCACHE_REMOTE_SIGNING_KEY" ? signingKey : null)!;

    private static readonly string Key = new('a', 64);

    [Fact]
    public void Hmac_is_the_standard_one()
    {
        byte[] key = "a shared secret"u8.ToArray(), longKey = new byte[100], message = "zccache:e1234\0value"u8.ToArray();
        Assert.Equal(System.Security.Cryptography.HMACSHA256.HashData(key, message), Hmac.Sha256Of(key, message));
        Assert.Equal(System.Security.Cryptography.HMACSHA256.HashData(longKey, message), Hmac.Sha256Of(longKey, message));
    }

    [Fact]
    public void With_a_signing_key_only_values_signed_with_it_are_served()
    {
        byte[] value = [1, 2, 3];
        Remote("secret").Put(RemoteNamespace.Entry, Key, value);
        Assert.Equal(value, Remote("secret").Get(RemoteNamespace.Entry, Key));
        Assert.Equal(value, Remote(null).Get(RemoteNamespace.Entry, Key)); // a reader that checks nothing still gets the value

        // A writer without the secret (or with another) cannot make a signed reader take its value.
        Remote(null).Put(RemoteNamespace.Entry, Key, [6, 6, 6]);
        Assert.Contains("not signed", Assert.Throws<CorruptEntryException>(() => Remote("secret").Get(RemoteNamespace.Entry, Key)).Message);
        Remote("guess").Put(RemoteNamespace.Entry, Key, [6, 6, 6]);
        Assert.Contains("not signed with this signing key",
            Assert.Throws<CorruptEntryException>(() => Remote("secret").Get(RemoteNamespace.Entry, Key)).Message);
        // Nor replay a signed value under another key: the name is signed with the bytes.
        Remote("secret").Put(RemoteNamespace.Entry, new string('b', 64), [6, 6, 6]);
        RawSet("zccache:e" + Key, RawGet("zccache:e" + new string('b', 64)));
        Assert.Throws<CorruptEntryException>(() => Remote("secret").Get(RemoteNamespace.Entry, Key));
    }

    [Fact]
    public void A_forged_manifest_and_entry_from_a_writer_without_the_key_are_refused_by_a_signed_reader()
    {
        File.SetLastWriteTimeUtc(_dir.Write("src/b.c", "int b(void) { return 2; }\n"), DateTime.UtcNow.AddMinutes(-1));
        var invocation = new CompileInvocation { Compiler = "gcc", Arguments = ["-c", "b.c", "-o", "b.o"], WorkingDirectory = _dir["src"] };
        var honest = CompileCache.Open(_dir["cache-one"], new FileHashMemo(), remote: Remote("secret")).Compile(invocation);
        byte[] good = File.ReadAllBytes(_dir["src/b.o"]);

        // Bound to the right keys and naming b.c's real digest, but the object is another: only a signature tells them apart.
        string context = honest.Outcome.ContextKey!, evil = new('e', 64);
        var manifest = new LocalStore(new CacheLayout(_dir["cache-one"])).ReadManifest(context)!;
        var unsigned = Remote(null);
        unsigned.Put(RemoteNamespace.Entry, evil, EntryBundle.Pack(evil, new CacheEntry { Outputs = [new("object", [6, 6, 6])] }));
        unsigned.Put(RemoteNamespace.Manifest, context,
            EntryBundle.Compress(new Manifest([manifest.Results[0] with { ArtifactKey = evil }]).ToBytes(context)));

        File.Delete(_dir["src/b.o"]);
        var reader = CompileCache.Open(_dir["cache-two"], new FileHashMemo(), remote: Remote("secret", readOnly: "true"))
            .Compile(invocation);
        Assert.Equal(OutcomeKind.Miss, reader.Outcome.Kind);
        Assert.Contains(reader.Diagnostics, d => d.Code == ZcCodes.CorruptEntry);
        Assert.Equal(good, File.ReadAllBytes(_dir["src/b.o"]));
    }

    private byte[] RawGet(string name)
    {
        using var mux = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{_redis.Port}");
        return (byte[])mux.GetDatabase().StringGet(name)!;
    }

    private void RawSet(string name, byte[] value)
    {
        using var mux = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{_redis.Port}");
        mux.GetDatabase().StringSet(name, value);
    }

    [Fact]
    public void A_hung_remote_costs_one_timeout_per_session_not_per_process()
    {
        string session = Path.Join(_dir.Path, "cache", "sessions", Guid.NewGuid().ToString());
        _redis.Pause();
        var first = Remote(null);
        first.JoinSession(session);
        Assert.Null(first.Get(RemoteNamespace.Manifest, Key)); // times out
        Assert.NotNull(first.TakeFailureDiagnostic());

        // Every other process of the session leaves it alone, silently.
        var second = Remote(null);
        second.JoinSession(session);
        Assert.Null(second.Get(RemoteNamespace.Manifest, Key));
        Assert.Equal("it failed earlier in this session", second.Failure);
        Assert.Null(second.TakeFailureDiagnostic());

        // Another session tries again.
        _redis.Resume();
        var other = Remote(null);
        other.JoinSession(Path.Join(_dir.Path, "cache", "sessions", Guid.NewGuid().ToString()));
        Assert.Null(other.Get(RemoteNamespace.Manifest, Key));
        Assert.Null(other.Failure);
    }
}
