using System.Globalization;
using System.Text;
using Zccache.Core.Sessions;

namespace Zccache.Core.Reporting;

/// <summary>
/// A session as Markdown, for CI job summaries (GitHub's step summary, Azure DevOps' build summary):
/// the totals, one row per project, and the top misses with their reasons. Kept under a size limit
/// (GitHub refuses a step summary over 1 MiB) by showing fewer miss rows.
/// </summary>
public static class MarkdownSummary
{
    public const int DefaultLimitBytes = 1024 * 1024 - 4096;
    private const int MaxMissRows = 50;

    public static string Render(SessionReport report, int limitBytes = DefaultLimitBytes)
    {
        var head = new StringBuilder();
        var t = report.Total;
        head.Append("### zccache: ").Append(t.Compilations).Append(" compilations, ")
            .Append(Rate(t)).Append(" hit rate, saved ").Append(Seconds(t.TimeSavedMs)).Append('\n').Append('\n');
        head.Append("| | compilations | hits | misses | non-cacheable | cached errors | hit rate | time saved |\n");
        head.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        head.Append(Row("**total**", t));
        foreach (var (project, stats) in report.PerProject) head.Append(Row(Cell(Path.GetFileName(project)), stats));
        head.Append('\n').Append("Session `").Append(t.SessionId).Append("`, ").Append(Seconds(t.DurationMs)).Append(".\n");

        if (report.Misses.Count == 0) return head.ToString();
        var misses = new StringBuilder("\n#### Top misses\n\n| source | outcome | reason | count |\n| --- | --- | --- | ---: |\n");
        int shown = 0;
        foreach (var m in report.Misses.Take(MaxMissRows))
        {
            string row = $"| {Cell(m.Source)} | {m.Outcome} | {Cell(m.Reason)} | {m.Count} |\n";
            if (Encoding.UTF8.GetByteCount(head.ToString()) + Encoding.UTF8.GetByteCount(misses.ToString()) + row.Length + 200 > limitBytes) break;
            misses.Append(row);
            shown++;
        }
        if (shown < report.Misses.Count) misses.Append('\n').Append(report.Misses.Count - shown).Append(" more not shown.\n");
        return head.Append(misses).ToString();
    }

    private static string Row(string name, FinalizedSessionStats s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {s.Compilations} | {s.Hits} | {s.Misses} | {s.NonCacheable} | {s.ErrorsCached} | {Rate(s)} | {Seconds(s.TimeSavedMs)} |\n");

    private static string Rate(FinalizedSessionStats s) =>
        s.HitRate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Text safe inside a table cell.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ").Replace("\r", "");
}
