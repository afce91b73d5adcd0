using System.Text;
using Zccache.Cli.Commands;
using Zccache.Core.Sessions;

namespace Zccache.Cli.Tests;

public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zccache-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_link_miss_is_a_reason_and_links_and_up_to_date_outputs_are_no_compiles()
    {
        var miss = new CompileOutcome { Kind = OutcomeKind.Miss, Step = Step.Link, Source = "/src/libx.so", Reason = "context_not_found" };
        var hit = new CompileOutcome { Kind = OutcomeKind.Hit, Step = Step.Link, Source = "/src/libx.so" };
        var compiled = new CompileOutcome { Kind = OutcomeKind.Hit, Source = "/src/a.c" };
        var upToDate = new CompileOutcome { Kind = OutcomeKind.UpToDate, Source = "/src/b.c" };
        var linkUpToDate = new CompileOutcome { Kind = OutcomeKind.UpToDate, Step = Step.Link, Source = "/src/liby.so" };
        string journal = Path.Join(_dir, "journal.jsonl");
        File.WriteAllBytes(journal, [.. Journal.Line(miss, "sid", false), .. Journal.Line(hit, "sid", false),
            .. Journal.Line(compiled, "sid", false), .. Journal.Line(upToDate, "sid", false), .. Journal.Line(linkUpToDate, "sid", false)]);

        var stdout = new MemoryStream();
        Assert.Equal(0, AnalyzeCommand.Run([journal], new Output(stdout, new MemoryStream())));
        string analysis = Encoding.UTF8.GetString(stdout.ToArray());
        Assert.Contains("1 compiles, 3 links, 1 up to date: 1 hit, 1 link_hit, 1 link_miss, 1 link_up_to_date, 1 up_to_date", analysis);
        Assert.Matches(@"\n +1  link_miss +context_not_found\n", analysis);

        stdout = new MemoryStream();
        Assert.Equal(0, AnalyzeCommand.Run([journal, "--json"], new Output(stdout, new MemoryStream())));
        using var json = System.Text.Json.JsonDocument.Parse(stdout.ToArray());
        Assert.Equal((1, 3, 1), (json.RootElement.GetProperty("compiles").GetInt32(), json.RootElement.GetProperty("links").GetInt32(),
            json.RootElement.GetProperty("up_to_date").GetInt32()));
    }
}
