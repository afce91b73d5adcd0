using System.Globalization;
using System.Text;
using Zccache.Core.Sessions;

namespace Zccache.Core.Reporting;

/// <summary>
/// A session as Markdown, for CI job summaries (GitHub's step summary, Azure DevOps' build summary):
/// a chart of hits, misses, up to date and non-cacheable (Mermaid), the totals and one row per project, remote cache
/// faults, why compiles were not served (reasons with counts), the slowest misses, and the top misses by source. Kept under a size limit
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
        head.Append("### zccache: ").Append(t.Compilations).Append(" compilations, ").Append(Rate(t)).Append(" hit rate, ")
            .Append(StatsReport.Saved(t)).Append("\n\n");
        Chart(head, t);
        // Link columns only when the session linked: links are counted apart from compiles.
        bool links = t.HasLinks;
        head.Append("| | compilations | hits | misses | non-cacheable | cached errors | up to date | hit rate |")
            .Append(links ? " link hits | link misses | links up to date |" : "").Append(" compile time saved |\n");
        head.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |").Append(links ? " ---: | ---: | ---: |" : "")
            .Append(" ---: |\n");
        head.Append(Row("**total**", t, links));
        foreach (var (project, stats) in report.PerProject) head.Append(Row(Cell(Path.GetFileName(project)), stats, links));
        head.Append('\n').Append("Session `").Append(t.SessionId).Append("`, ").Append(Seconds(t.DurationMs)).Append('.');
        if (t.RemoteHits > 0) head.Append(' ').Append(t.RemoteHits).Append(" of the hits came from the remote cache.");
        head.Append('\n');
        if (report.RemoteFaults.Count > 0)
        {
            head.Append("\n#### Remote cache faults\n\nThe build went on with the local cache only.\n\n"
                + "| remote | what failed |\n| --- | --- |\n");
            foreach (var f in report.RemoteFaults) head.Append(CultureInfo.InvariantCulture, $"| {Cell(f.Remote)} | {Cell(f.Reason)} |\n");
        }

        if (report.Reasons.Count > 0)
        {
            head.Append("\n#### Why compiles were not served\n\n| outcome | reason | count |\n| --- | --- | ---: |\n");
            foreach (var r in report.Reasons.Take(MaxMissRows))
                head.Append(CultureInfo.InvariantCulture, $"| {r.Outcome} | {Cell(r.Reason)} | {r.Count} |\n");
        }
        if (report.SlowestMisses.Count > 0)
        {
            head.Append("\n#### Slowest misses\n\n| source | reason | compile time |\n| --- | --- | ---: |\n");
            foreach (var m in report.SlowestMisses)
                head.Append(CultureInfo.InvariantCulture, $"| {Cell(m.Source)} | {Cell(m.Reason)} | {Seconds(m.DurationMs)} |\n");
        }

        if (report.Misses.Count == 0) return head.ToString();
        var misses = new StringBuilder("\n#### Top misses\n\n| source | outcome | reason | count |\n| --- | --- | --- | ---: |\n");
        int shown = 0;
        foreach (var m in report.Misses.Take(MaxMissRows))
        {
            string row = $"| {Cell(m.Source)} | {m.Outcome} | {Cell(m.Reason)} | {m.Count} |\n";
            if (Encoding.UTF8.GetByteCount(head.ToString()) + Encoding.UTF8.GetByteCount(misses.ToString()) + row.Length + 200 > limitBytes)
                break;
            misses.Append(row);
            shown++;
        }
        if (shown < report.Misses.Count) misses.Append('\n').Append(report.Misses.Count - shown).Append(" more not shown.\n");
        return head.Append(misses).ToString();
    }

    /// <summary>A pie of what happened to the build's sources (GitHub renders
    /// Mermaid in step summaries; elsewhere it reads as text).</summary>
    private static void Chart(StringBuilder md, FinalizedSessionStats t)
    {
        (string Label, long Count)[] slices = [("hits", t.Hits), ("misses", t.Misses), ("up to date", t.UpToDate),
            ("non-cacheable", t.NonCacheable), ("cached errors", t.ErrorsCached)];
        if (slices.All(s => s.Count == 0)) return;
        md.Append("```mermaid\npie showData title Sources\n");
        foreach (var (label, count) in slices.Where(s => s.Count > 0))
            md.Append("    \"").Append(label).Append("\" : ").Append(count).Append('\n');
        md.Append("```\n\n");
    }

    private static string Row(string name, FinalizedSessionStats s, bool links) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {s.Compilations} | {s.Hits} | {s.Misses} | {s.NonCacheable} | {s.ErrorsCached} | {s.UpToDate} | {Rate(s)} |")
        + (links ? string.Create(CultureInfo.InvariantCulture, $" {s.LinkHits} | {s.LinkMisses} | {s.LinkUpToDate} |") : "")
        + $" {Seconds(s.TimeSavedMs)} |\n";

    private static string Rate(FinalizedSessionStats s) =>
        s.HitRate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Text safe inside a table cell.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ").Replace("\r", "");
}
