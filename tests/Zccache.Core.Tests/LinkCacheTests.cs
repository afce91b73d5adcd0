using System.Diagnostics;
using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>Links through the pipeline with the real gcc and ld: keyed by what the linker itself reported reading.</summary>
public class LinkCacheTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileHashMemo _memo = new();

    public void Dispose() => _dir.Dispose();

    private CompileCache Cache() => CompileCache.Open(_dir["cache"], _memo);

    private CompileResult Run(CompileCache cache, params string[] args) =>
        cache.Compile(new CompileInvocation { Compiler = "gcc", Arguments = args, WorkingDirectory = _dir["src"] });

    /// <summary>What the bare gcc writes for the same call.</summary>
    private byte[] Bare(string output, params string[] args)
    {
        var start = new ProcessStartInfo("gcc") { WorkingDirectory = _dir["src"], RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        byte[] bytes = File.ReadAllBytes(_dir["src/" + output]);
        File.Delete(_dir["src/" + output]);
        return bytes;
    }

    /// <summary>Compiles <paramref name="name"/>.c to an object outside the cache, with its mtime in the past (settled).</summary>
    private void Object(string name, string code, string folder = "")
    {
        string c = _dir.Write($"src/{folder}{name}.c", code);
        var start = new ProcessStartInfo("gcc", ["-c", "-fPIC", c, "-o", _dir[$"src/{folder}{name}.o"]]);
        using (var p = Process.Start(start)!) { p.WaitForExit(); Assert.Equal(0, p.ExitCode); }
        File.SetLastWriteTimeUtc(_dir[$"src/{folder}{name}.o"], DateTime.UtcNow.AddMinutes(-1));
    }

    private void Archive(string folder, string name, string code)
    {
        Object(name, code, folder + "/");
        var start = new ProcessStartInfo("ar", ["rcsD", _dir[$"src/{folder}/lib{name}.a"], _dir[$"src/{folder}/{name}.o"]]);
        using (var p = Process.Start(start)!) { p.WaitForExit(); Assert.Equal(0, p.ExitCode); }
        File.SetLastWriteTimeUtc(_dir[$"src/{folder}/lib{name}.a"], DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public void A_shared_library_link_misses_then_hits_with_the_bare_linkers_bytes()
    {
        Object("a", "int a(void) { return 1; }\n");
        Object("b", "int a(void); int b(void) { return a() + 1; }\n");
        string[] link = ["-shared", "-o", "libx.so", "a.o", "b.o"];
        byte[] bare = Bare("libx.so", link);
        var cache = Cache();
        var cold = Run(cache, link);
        Assert.Equal((OutcomeKind.Miss, 0), (cold.Outcome.Kind, cold.ExitCode));
        Assert.Equal(bare, File.ReadAllBytes(_dir["src/libx.so"]));
        File.Delete(_dir["src/libx.so"]);
        var warm = Run(cache, link);
        Assert.Equal(OutcomeKind.Hit, warm.Outcome.Kind);
        Assert.Equal(bare, File.ReadAllBytes(_dir["src/libx.so"]));

        // The session counts links apart: a link hit is not a compile hit, and the journal says link_hit.
        Assert.Equal((Step.Link, Step.Link), (cold.Outcome.Step, warm.Outcome.Step));
        var tracker = new SessionStatsTracker();
        cold.Outcome.ApplyTo(tracker);
        warm.Outcome.ApplyTo(tracker);
        var stats = tracker.Finalize(SessionId.New(), TimeSpan.Zero);
        Assert.Equal((0L, 0L, 0L, 1L, 1L, 0L),
            (stats.Compilations, stats.Hits, stats.Misses, stats.LinkHits, stats.LinkMisses, stats.LinkUpToDate));
        Assert.Null(stats.HitRate);
        Assert.Contains("\"outcome\":\"link_hit\"", System.Text.Encoding.UTF8.GetString(Journal.Line(warm.Outcome, "sid", profile: false)));
        // The session folder's outcome line keeps the step.
        var read = CompileOutcome.FromJsonLine(warm.Outcome.ToJsonLine());
        Assert.Equal((Step.Link, OutcomeKind.Hit), (read!.Step, read.Kind));

        // An object that changed is a miss; so is another library on the command line.
        Object("b", "int a(void); int b(void) { return a() + 2; }\n");
        var edited = Run(cache, link);
        Assert.Equal((OutcomeKind.Miss, "input_changed"), (edited.Outcome.Kind, edited.Outcome.Reason));
        byte[] relinked = File.ReadAllBytes(_dir["src/libx.so"]);
        Assert.Equal(Bare("libx.so", link), relinked);
        Assert.Equal(OutcomeKind.Miss, Run(cache, [.. link, "-lm"]).Outcome.Kind);
    }

    [Fact]
    public void A_library_that_appears_in_an_earlier_search_folder_is_a_miss()
    {
        Object("main", "int value(void); int main(void) { return value(); }\n");
        Archive("late", "value", "int value(void) { return 3; }\n");
        Directory.CreateDirectory(_dir["src/early"]);
        string[] link = ["-o", "prog", "main.o", "-Learly", "-Llate", "-lvalue"];
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Run(cache, link).Outcome.Kind);
        File.Delete(_dir["src/prog"]);
        Assert.Equal(OutcomeKind.Hit, Run(cache, link).Outcome.Kind);
        var delivered = Process.Start(new ProcessStartInfo(_dir["src/prog"]))!; // delivered executable, as ld made it
        delivered.WaitForExit();
        Assert.Equal(3, delivered.ExitCode);

        Archive("early", "value", "int value(void) { return 4; }\n");
        var shadowed = Run(cache, link);
        Assert.Equal((OutcomeKind.Miss, "include_shadowed"), (shadowed.Outcome.Kind, shadowed.Outcome.Reason));
        var program = Process.Start(new ProcessStartInfo(_dir["src/prog"]))!;
        program.WaitForExit();
        Assert.Equal(4, program.ExitCode); // the new library's code, as the bare link would give
    }

    [Fact]
    public void A_failed_link_is_not_replayed_and_compiles_and_links_stay_uncached()
    {
        Object("main", "int missing(void); int main(void) { return missing(); }\n");
        var cache = Cache();
        var first = Run(cache, "-o", "prog", "main.o");
        Assert.NotEqual(0, first.ExitCode);
        Assert.Contains("missing", CompilerProcess.Text(first.Stderr));
        var second = Run(cache, "-o", "prog", "main.o");
        Assert.NotEqual(OutcomeKind.CachedError, second.Outcome.Kind);

        _dir.Write("src/both.c", "int main(void) { return 0; }\n");
        var both = Run(cache, "-o", "both", "both.c");
        Assert.Equal((OutcomeKind.NonCacheable, "linking"), (both.Outcome.Kind, both.Outcome.Reason));
        Assert.Equal(OutcomeKind.NonCacheable, Run(cache, "-flto", "-o", "prog", "main.o").Outcome.Kind);
    }
}
