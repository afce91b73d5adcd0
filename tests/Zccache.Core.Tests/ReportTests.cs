using System.Text.Json;
using Zccache.Core.Reporting;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>The Markdown summary, the CI publishers, the stats JSON and the journal, against golden files.</summary>
public class ReportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Golden(string name) =>
        File.ReadAllText(Path.Join(AppContext.BaseDirectory, "Golden", name)).Replace("\r\n", "\n");

    private static FinalizedSessionStats Stats(long hits, long misses, long nonCacheable, long saved, long linkHits = 0,
        long linkMisses = 0) => new()
        {
            LinkHits = linkHits, LinkMisses = linkMisses,
            SessionId = "6f1c2b8e-0c1d-4a5e-9f00-1234567890ab", DurationMs = 12_345, Compilations = hits + misses + nonCacheable,
            Hits = hits, Misses = misses, NonCacheable = nonCacheable, ErrorsCached = 1, TimeSavedMs = saved, WallTimeSavedMs = saved / 2,
            UpToDate = 3, UniqueSources = 7,
            BytesRead = 1000, BytesWritten = 2000,
        };

    private static SessionReport Report() => new(
        Stats(38, 2, 1, 31_200, linkHits: 1, linkMisses: 1),
        [("/src/app/app.csproj", Stats(30, 1, 0, 25_000, linkHits: 1)), ("/src/lib/lib|pipe.csproj", Stats(8, 1, 1, 6_200, linkMisses: 1))])
    {
        Misses = [new("/src/app/native/a.c", "miss", "input_changed", 2), new("/src/lib/native/b.c", "non_cacheable", "time_macros", 1),
            new("/src/lib/obj/libb.so", "link_miss", "context_not_found", 1)],
        Reasons = [new("miss", "input_changed", 2), new("link_miss", "context_not_found", 1), new("non_cacheable", "time_macros", 1)],
        SlowestMisses = [new("/src/app/native/a.c", "input_changed", 2_400), new("/src/app/native/a.c", "input_changed", 2_100)],
        RemoteFaults = [new("redis://127.0.0.1:6390", "It was not possible to connect to the redis server(s).")],
    };

    [Fact]
    public void A_report_of_a_sessions_outcomes_groups_its_misses_when_asked()
    {
        CompileOutcome[] outcomes =
        [
            new() { Kind = OutcomeKind.Miss, Source = "/a.c", Reason = "input_changed", LatencyNs = 1_000_000 },
            new() { Kind = OutcomeKind.Miss, Source = "/a.c", Reason = "input_changed", LatencyNs = 3_000_000 },
            new() { Kind = OutcomeKind.NonCacheable, Source = "/b.c", Reason = "time_macros" },
            new() { Kind = OutcomeKind.Hit, Source = "/c.c" },
            new() { Kind = OutcomeKind.Miss, Source = "/d.c", Reason = "input_changed", LatencyNs = 2_000_000 },
        ];
        var report = SessionReport.Of(Stats(1, 3, 1, 0), [], outcomes) with { PerProject = [] }; // a copy groups the same
        Assert.Equal([new MissCount("/a.c", "miss", "input_changed", 2), new MissCount("/b.c", "non_cacheable", "time_macros", 1),
            new MissCount("/d.c", "miss", "input_changed", 1)], report.Misses);
        // A reason's count is over all sources.
        Assert.Equal([new ReasonCount("miss", "input_changed", 3), new ReasonCount("non_cacheable", "time_macros", 1)], report.Reasons);
        Assert.Equal([new SlowMiss("/a.c", "input_changed", 3), new SlowMiss("/d.c", "input_changed", 2), new SlowMiss("/a.c", "input_changed", 1)],
            report.SlowestMisses);
    }

    [Fact]
    public void The_markdown_summary_matches_its_golden_file() =>
        Assert.Equal(Golden("summary.md"), MarkdownSummary.Render(Report()));

    [Fact]
    public void The_stats_json_matches_its_golden_file() =>
        Assert.Equal(Golden("stats.json").TrimEnd(), StatsReport.Json(Stats(38, 2, 1, 31_200)));

    [Fact]
    public void The_session_end_text_matches_its_golden_file() =>
        Assert.Equal(Golden("session-end.txt"), StatsReport.Text(Stats(38, 2, 1, 31_200, linkHits: 1), "ended"));

    [Fact]
    public void A_huge_miss_list_keeps_the_summary_under_the_limit()
    {
        var misses = Enumerable.Range(0, 5000).Select(i => new MissCount($"/src/{new string('x', 300)}{i}.c", "miss", "input_changed", 1))
            .ToList();
        string md = MarkdownSummary.Render(Report() with { Misses = misses }, limitBytes: 8 * 1024);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(md) < 8 * 1024);
        Assert.Contains("more not shown.", md);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(MarkdownSummary.Render(Report() with { Misses = misses })) < 1024 * 1024);
    }

    [Fact]
    public void GitHub_gets_the_summary_appended_to_its_step_summary()
    {
        string summary = _dir.Write("step-summary.md", "earlier step\n");
        var env = new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = summary };
        var r = CiSummary.Publish(Report(), n => env.GetValueOrDefault(n), force: null, _dir.Path);
        Assert.Empty(r.OutputLines);
        Assert.Equal("earlier step\n" + Golden("summary.md") + "\n", File.ReadAllText(summary));
        // Forced off: nothing.
        CiSummary.Publish(Report(), n => env.GetValueOrDefault(n), force: "false", _dir.Path);
        Assert.Equal("earlier step\n" + Golden("summary.md") + "\n", File.ReadAllText(summary));
        // Not under GitHub Actions: nothing unless forced on.
        env.Remove("GITHUB_ACTIONS");
        CiSummary.Publish(Report(), n => env.GetValueOrDefault(n), force: null, _dir.Path);
        Assert.Equal(1, CountOf(File.ReadAllText(summary), "### zccache:"));
        CiSummary.Publish(Report(), n => env.GetValueOrDefault(n), force: "true", _dir.Path);
        Assert.Equal(2, CountOf(File.ReadAllText(summary), "### zccache:"));
    }

    [Fact]
    public void Azure_DevOps_gets_a_summary_file_and_the_upload_command()
    {
        var env = new Dictionary<string, string> { ["TF_BUILD"] = "True", ["AGENT_TEMPDIRECTORY"] = _dir["agent"] };
        var r = CiSummary.Publish(Report(), n => env.GetValueOrDefault(n), force: null, _dir.Path);
        string file = Path.Join(_dir["agent"], "zccache-6f1c2b8e-0c1d-4a5e-9f00-1234567890ab.md");
        Assert.Equal([$"##vso[task.uploadsummary]{file}"], r.OutputLines);
        Assert.Equal(Golden("summary.md"), File.ReadAllText(file));
    }

    [Fact]
    public void An_unwritable_step_summary_is_a_ZC1007_warning()
    {
        var env = new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = _dir["missing/dir/summary.md"] };
        var r = CiSummary.Publish(Report(), n => env.GetValueOrDefault(n), force: null, _dir.Path);
        Assert.Equal("ZC1007", Assert.Single(r.Diagnostics).Code);
    }

    [Fact]
    public void Journal_lines_hold_the_documented_fields_and_only_allow_listed_environment()
    {
        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.Miss, Source = "/w/a.c", Project = "/w/app.csproj", ContextKey = new string('a', 64), LatencyNs = 5,
            ExitCode = 0,
            Reason = "input_changed", ChangedInput = "/w/a.h", Phases = new Phases(1, 2, 3, 4, 5),
            Invocation = new Compilers.CompileInvocation
            {
                Compiler = "gcc", Arguments = ["-c", "a.c"], WorkingDirectory = "/w",
                Environment = new Dictionary<string, string>
                {
                    ["CC"] = "gcc", ["GITHUB_TOKEN"] = "secret",
                    ["AWS_SECRET_ACCESS_KEY"] = "secret"
                },
            },
        };
        using var doc = JsonDocument.Parse(Journal.Line(outcome, "sid", profile: true));
        var root = doc.RootElement;
        Assert.Equal("miss", root.GetProperty("outcome").GetString());
        Assert.Equal("input_changed", root.GetProperty("miss_reason").GetString());
        Assert.Equal("/w/a.h", root.GetProperty("changed_input").GetString());
        Assert.Equal(["-c", "a.c"], root.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("/w", root.GetProperty("cwd").GetString());
        Assert.Equal("sid", root.GetProperty("session_id").GetString());
        Assert.Equal(3, root.GetProperty("phases").GetProperty("compile_ns").GetInt64());
        Assert.Equal(["CC"], root.GetProperty("env").EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("secret", System.Text.Encoding.UTF8.GetString(Journal.Line(outcome, "sid", profile: true)));
        using var plain = JsonDocument.Parse(Journal.Line(outcome, "sid", profile: false));
        Assert.False(plain.RootElement.TryGetProperty("phases", out _));
        var nonCacheable = JsonDocument.Parse(
            Journal.Line(outcome with { Kind = OutcomeKind.NonCacheable, Reason = "linking" }, "sid", false)).RootElement;
        Assert.Equal("uncacheable_input", nonCacheable.GetProperty("miss_reason").GetString());
        Assert.Equal("linking", nonCacheable.GetProperty("non_cacheable_reason").GetString());
        Assert.Contains(nonCacheable.GetProperty("miss_reason").GetString(), Journal.MissReasonNames);
        var failed = JsonDocument.Parse(Journal.Line(outcome with { ExitCode = 1 }, "sid", false)).RootElement;
        Assert.Equal("error", failed.GetProperty("outcome").GetString());
        Assert.Equal("input_changed", failed.GetProperty("miss_reason").GetString());
    }

    [Theory]
    [InlineData(Compilers.NonCacheableReason.CompilerNotFound, "compiler_not_found")]
    [InlineData(Compilers.NonCacheableReason.CompilerNotRunnable, "compiler_not_runnable")]
    [InlineData(Compilers.NonCacheableReason.CacheDisabled, "cache_disabled")]
    [InlineData(Compilers.NonCacheableReason.ChangedWhileCompiling, "changed_while_compiling")]
    public void Non_cacheable_reasons_keep_the_words_outcomes_and_the_journal_write(Compilers.NonCacheableReason reason, string code) =>
        Assert.Equal(code, Compilers.NonCacheable.CodeOf(reason));

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;
}
