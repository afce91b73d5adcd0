using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>
/// An incremental build's compile through an <see cref="ObjectLedger"/>, with the real gcc: up to date only when the
/// object, the options and every input (and every path that would shadow one) are as the ledger recorded them.
/// </summary>
public class IncrementalCompileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public IncrementalCompileTests()
    {
        Source("a.c", "#include \"a.h\"\nint f(void){return A;}\n");
        Source("inc/a.h", "#define A 1\n");
    }

    public void Dispose() => _dir.Dispose();

    private void Source(string name, string text)
    {
        string path = _dir.Write(Path.Join("src", name), text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1)); // settled, as a checkout's files are
    }

    /// <summary>One build: a fresh cache instance and memo (a new MSBuild node), the ledger loaded from and saved to disk.</summary>
    private CompileResult Build(params string[] extra)
    {
        var cache = CompileCache.Open(_dir["cache"], new FileHashMemo(), snapshotInputs: true);
        var ledger = ObjectLedger.Load(_dir["obj/zccache.objects"]);
        var invocation = new CompileInvocation
        {
            Compiler = "gcc", Arguments = ["-c", "a.c", "-o", "a.o", "-Iinc", .. extra],
            WorkingDirectory = _dir["src"]
        };
        var result = cache.Compile(invocation, session: null, ledger, _dir["src/a.o"]);
        Assert.Equal(0, result.ExitCode);
        ledger.Save();
        return result;
    }

    [Fact]
    public void A_no_change_build_is_up_to_date_and_leaves_the_object_untouched()
    {
        Assert.Equal(OutcomeKind.Miss, Build().Outcome.Kind);
        var written = FileStamp.Read(_dir["src/a.o"]);
        var again = Build();
        Assert.Equal(OutcomeKind.UpToDate, again.Outcome.Kind);
        Assert.Equal(written, FileStamp.Read(_dir["src/a.o"]));
        Assert.Equal(OutcomeKind.UpToDate, Build().Outcome.Kind);
    }

    [Fact]
    public void An_edited_header_is_not_up_to_date()
    {
        Build();
        Source("inc/a.h", "#define A 22\n");
        var result = Build();
        Assert.Equal(OutcomeKind.Miss, result.Outcome.Kind);
        Assert.Equal(OutcomeKind.UpToDate, Build().Outcome.Kind);
    }

    [Fact]
    public void A_changed_option_is_not_up_to_date()
    {
        Build();
        Assert.Equal(OutcomeKind.Miss, Build("-O2").Outcome.Kind);
        Assert.Equal(OutcomeKind.UpToDate, Build("-O2").Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Build().Outcome.Kind); // back to the first options: served, not up to date
    }

    [Fact]
    public void A_deleted_or_replaced_object_is_delivered_again()
    {
        Build();
        File.Delete(_dir["src/a.o"]);
        Assert.Equal(OutcomeKind.Hit, Build().Outcome.Kind);
        File.WriteAllText(_dir["src/a.o"], "not an object");
        Assert.Equal(OutcomeKind.Hit, Build().Outcome.Kind);
        Assert.NotEqual("not an object", File.ReadAllText(_dir["src/a.o"]));
    }

    [Fact]
    public void A_new_header_that_shadows_an_input_is_not_up_to_date()
    {
        Build();
        Source("a.h", "#define A 3\n"); // "a.h" is found beside a.c before -Iinc
        var result = Build();
        Assert.Equal(OutcomeKind.Miss, result.Outcome.Kind);
    }

    /// <summary>One build of several sources through one ledger; each one's outcome.</summary>
    private OutcomeKind[] BuildAll(params string[] sources)
    {
        var cache = CompileCache.Open(_dir["cache"], new FileHashMemo(), snapshotInputs: true);
        var ledger = ObjectLedger.Load(_dir["obj/zccache.objects"]);
        var kinds = sources.Select(source => cache.Compile(new CompileInvocation
        {
            Compiler = "gcc", Arguments = ["-c", source, "-o", source[..^2] + ".o", "-Iinc"], WorkingDirectory = _dir["src"]
        }, session: null, ledger, _dir["src/" + source[..^2] + ".o"]).Outcome.Kind).ToArray();
        ledger.Save();
        return kinds;
    }

    [Fact]
    public void Objects_that_share_inputs_each_keep_their_own_in_the_ledger()
    {
        // The ledger writes each input once for all objects: after a round trip every object still has exactly its own.
        Source("b.c", "#include \"a.h\"\n#include \"b.h\"\nint g(void){return A + B;}\n");
        Source("c.c", "#include \"c.h\"\nint h(void){return C;}\n");
        Source("inc/b.h", "#define B 2\n");
        Source("inc/c.h", "#define C 3\n");
        Assert.Equal([OutcomeKind.Miss, OutcomeKind.Miss, OutcomeKind.Miss], BuildAll("a.c", "b.c", "c.c"));
        Assert.Equal([OutcomeKind.UpToDate, OutcomeKind.UpToDate, OutcomeKind.UpToDate], BuildAll("a.c", "b.c", "c.c"));
        Source("inc/b.h", "#define B 20\n");
        Assert.Equal([OutcomeKind.UpToDate, OutcomeKind.Miss, OutcomeKind.UpToDate], BuildAll("a.c", "b.c", "c.c"));
        Source("b.h", "#define B 21\n"); // shadows inc/b.h for b.c only: found beside the source first
        Assert.Equal([OutcomeKind.UpToDate, OutcomeKind.Miss, OutcomeKind.UpToDate], BuildAll("a.c", "b.c", "c.c"));
        Source("inc/a.h", "#define A 10\n");
        Assert.Equal([OutcomeKind.Miss, OutcomeKind.Miss, OutcomeKind.UpToDate], BuildAll("a.c", "b.c", "c.c"));
    }

    [Fact]
    public void A_cut_short_ledger_sends_every_compile_through_the_cache()
    {
        Source("b.c", "#include \"a.h\"\nint g(void){return A;}\n");
        BuildAll("a.c", "b.c");
        byte[] whole = File.ReadAllBytes(_dir["obj/zccache.objects"]);
        File.WriteAllBytes(_dir["obj/zccache.objects"], whole[..(whole.Length - 10)]);
        Assert.Equal([OutcomeKind.Hit, OutcomeKind.Hit], BuildAll("a.c", "b.c"));
        Assert.Equal([OutcomeKind.UpToDate, OutcomeKind.UpToDate], BuildAll("a.c", "b.c"));
    }

    [Fact]
    public void A_ledger_that_cannot_be_read_sends_every_compile_through_the_cache()
    {
        Build();
        File.WriteAllText(_dir["obj/zccache.objects"], "garbage");
        Assert.Equal(OutcomeKind.Hit, Build().Outcome.Kind);
        Assert.Equal(OutcomeKind.UpToDate, Build().Outcome.Kind);
    }
}
