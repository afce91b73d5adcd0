using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Core.Tests;

/// <summary>Direct mode's match: a recorded result is served only while every input holds, and a miss says why.</summary>
public sealed class ManifestMatcherTests : IDisposable
{
    private const string Context = "c0ffee0000000000000000000000000000000000000000000000000000000000";
    private const string Artifact = "a11ce00000000000000000000000000000000000000000000000000000000000";
    private readonly TempDir _dir = new();
    private readonly LocalStore _local;
    private readonly TieredStore _store;
    private readonly CompileInvocation _invocation;
    private readonly CacheableCompile _compile;

    public ManifestMatcherTests()
    {
        var layout = new CacheLayout(_dir["cache"]);
        layout.EnsureCreated();
        _local = new LocalStore(layout);
        _store = new TieredStore(_local, null);
        _dir.Write("src/a.c", "#include \"a.h\"\nint a(void) { return A; }\n");
        _dir.Write("src/inc/a.h", "#define A 1\n");
        _invocation = new CompileInvocation { Compiler = "gcc", Arguments = ["-c", "a.c", "-o", "a.o"], WorkingDirectory = _dir["src"] };
        _compile = GccCommandLine.Parse(_invocation).Compile!;
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>A fresh look at the inputs, as each compile takes.</summary>
    private ManifestMatch Match() =>
        new ManifestMatcher(_store, _compile, _invocation, new InputSnapshot(new FileHashMemo(), new DirectoryListingMemo()))
            .Match(Context);

    private static RecordedDependency Dependency(string path) => new(path, new FileHashMemo().Get(path)!.Hash.Hex);

    private ManifestResult Publish(CacheEntry entry, params List<AbsentGroup> absent)
    {
        var result = new ManifestResult(Artifact, [Dependency(_dir["src/a.c"]), Dependency(_dir["src/inc/a.h"])]) { Absent = absent };
        _store.Publish(Context, result, entry);
        return result;
    }

    private CacheEntry Complete() => new() { Outputs = [.. _compile.Outputs.Select(o => new EntryOutput(o.Name, [7]))] };

    [Fact]
    public void No_manifest_is_context_not_found()
    {
        Assert.Equal(ManifestMatch.Miss(MissReason.ContextNotFound), Match());
    }

    [Fact]
    public void A_result_whose_inputs_hold_is_a_hit_with_its_entry()
    {
        var result = Publish(Complete());
        var match = Match();
        Assert.True(match.IsHit);
        Assert.Equal((result.ArtifactKey, false), (match.Result!.ArtifactKey, match.FromRemote));
        Assert.All(_compile.Outputs, o => Assert.Equal(new byte[] { 7 }, match.Entry!.Output(o.Name)!.Data));
    }

    [Fact]
    public void An_edited_input_is_input_changed_naming_the_input()
    {
        Publish(Complete());
        _dir.Write("src/inc/a.h", "#define A 2\n");
        Assert.Equal(ManifestMatch.Miss(MissReason.InputChanged, _dir["src/inc/a.h"]), Match());
    }

    [Fact]
    public void A_new_file_that_would_be_found_first_is_include_shadowed()
    {
        Publish(Complete(), new AbsentGroup(_dir["src"], ["a.h"]));
        Assert.True(Match().IsHit);
        _dir.Write("src/a.h", "#define A 3\n");
        Assert.Equal(ManifestMatch.Miss(MissReason.IncludeShadowed), Match());
    }

    [Fact]
    public void An_evicted_entry_is_no_artifact_for_key()
    {
        Publish(Complete());
        _local.Remove(Artifact);
        Assert.Equal(ManifestMatch.Miss(MissReason.NoArtifactForKey), Match());
    }

    [Fact]
    public void A_successful_entry_missing_an_output_is_removed_and_no_artifact_for_key()
    {
        Publish(new CacheEntry { Outputs = [] });
        Assert.Equal(ManifestMatch.Miss(MissReason.NoArtifactForKey), Match());
        Assert.Null(_local.Read(Artifact));
    }

    [Fact]
    public void A_recorded_failure_is_replayed_as_a_hit()
    {
        Publish(new CacheEntry { Outputs = [], Stderr = "a.c:1: error"u8.ToArray(), ExitCode = 1 });
        var match = Match();
        Assert.True(match.IsHit);
        Assert.Equal(1, match.Entry!.ExitCode);
    }
}
