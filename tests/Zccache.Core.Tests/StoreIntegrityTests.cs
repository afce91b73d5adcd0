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

    private CompileCache Cache(string name = "cache", RemoteStore? remote = null) => CompileCache.Open(_dir[name], new FileHashMemo(), remote: remote);

    private CompileResult Compile(CompileCache cache, string source)
    {
        string obj = _dir["src/" + Path.ChangeExtension(source, ".o")];
        if (File.Exists(obj)) File.Delete(obj);
        return cache.Compile(new CompileInvocation { Compiler = "gcc", Arguments = ["-c", source, "-o", Path.ChangeExtension(source, ".o")], WorkingDirectory = _dir["src"] });
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
    [InlineData("redis", "e")]
    [InlineData("redis", "m")]
    [InlineData("http", "e")]
    [InlineData("http", "m")]
    public void A_remote_value_under_another_key_is_refused_never_backfilled_and_overwritten(string kind, string swapped)
    {
        Sources();
        var remote = Remote(kind);
        var one = Cache("cache-one", remote);
        var a = Compile(one, "a.c");
        var b = Compile(one, "b.c");
        Assert.Equal(4, _server!.Count);
        // A writer stores a's value under b's key.
        var (keyOfA, keyOfB) = swapped == "e" ? (ArtifactOf(one, a), ArtifactOf(one, b)) : (a.Outcome.ContextKey!, b.Outcome.ContextKey!);
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
