using System.Text;
using Zccache.Cli.Commands;
using Zccache.Core.Sessions;

namespace Zccache.Cli.Tests;

public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zccache-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_link_miss_is_a_reason_and_a_link_hit_no_compile()
    {
        var miss = new CompileOutcome { Kind = OutcomeKind.Miss, Step = Step.Link, Source = "/src/libx.so", Reason = "context_not_found" };
        var hit = new CompileOutcome { Kind = OutcomeKind.Hit, Step = Step.Link, Source = "/src/libx.so" };
        string journal = Path.Join(_dir, "journal.jsonl");
        File.WriteAllBytes(journal, [.. Journal.Line(miss, "sid", false), .. Journal.Line(hit, "sid", false)]);

        var stdout = new MemoryStream();
        Assert.Equal(0, AnalyzeCommand.Run([journal], new Output(stdout, new MemoryStream())));
        string analysis = Encoding.UTF8.GetString(stdout.ToArray());
        Assert.Contains("2 compiles: 1 link_hit, 1 link_miss", analysis);
        Assert.Matches(@"\n +1  link_miss +context_not_found\n", analysis);
    }
}
