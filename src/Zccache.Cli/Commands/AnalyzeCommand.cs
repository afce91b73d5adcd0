using System.Globalization;
using System.Text;
using System.Text.Json;
using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;

namespace Zccache.Cli.Commands;

/// <summary>
/// <c>zccache analyze &lt;journal.jsonl&gt;</c>: what a journal says about a build: the outcomes,
/// why compiles were not served (each reason with its count), the top misses with their reasons, hit rates per
/// project, and the slowest compiles.
/// </summary>
public static class AnalyzeCommand
{
    private const int Top = 10;

    private sealed record Entry(string Outcome, string? Project, string? Source, string? Reason, string? Detail, long LatencyNs);

    public static int Run(List<string> args, Output output)
    {
        bool json = Output.Flag(args, "--json");
        if (args.Count != 1) return output.Error(ZcCodes.BadArguments, "usage: zccache analyze <journal.jsonl> [--json]", 2);
        List<Entry> entries;
        int skipped;
        try { (entries, skipped) = Read(args[0]); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return output.Error(ZcCodes.JournalUnreadable, $"the journal '{args[0]}' cannot be read ({e.Message}).");
        }

        var outcomes = entries.GroupBy(e => e.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, Count: g.Count()))
            .ToList();
        // A link's outcomes are link_miss, link_error, …: not served either.
        static string Kind(Entry e) => e.Outcome.StartsWith("link_", StringComparison.Ordinal) ? e.Outcome[5..] : e.Outcome;
        static string Prefix(Entry e) => e.Outcome.StartsWith("link_", StringComparison.Ordinal) ? "link_" : "";
        static bool IsUncacheable(Entry e) => MissReasons.FromWireName(e.Reason) == MissReason.UncacheableInput;
        // As the stats count them: a link is no compile (up to date or not), nor is a compile's up-to-date output.
        static bool IsCompile(Entry e) => Prefix(e) == "" && e.Outcome != "up_to_date";
        var misses = entries.Where(e => Kind(e) is "miss" or "non_cacheable" or "error")
            .GroupBy(e => (e.Source, e.Reason, e.Detail))
            .Select(g => (g.Key.Source, g.Key.Reason, g.Key.Detail, Count: g.Count()))
            .OrderByDescending(m => m.Count).ThenBy(m => m.Source, StringComparer.Ordinal).Take(Top).ToList();
        // The same breakdown as the CI summary's "why compiles were not served": each reason with its count.
        var reasons = entries.Where(e => Kind(e) is "miss" or "non_cacheable" or "error" && e.Reason is not null)
            .GroupBy(e => IsUncacheable(e) ? (Outcome: Prefix(e) + "non_cacheable", Reason: e.Detail ?? "")
                : (Outcome: Prefix(e) + "miss", Reason: e.Reason!))
            .Select(g => (g.Key.Outcome, g.Key.Reason, Count: g.Count()))
            .OrderByDescending(r => r.Count).ThenBy(r => r.Outcome, StringComparer.Ordinal).ThenBy(r => r.Reason, StringComparer.Ordinal)
                .ToList();
        var projects = entries.GroupBy(e => e.Project ?? "(no project)").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Project: g.Key,
                Hits: g.Count(e => e.Outcome is "hit" or "cached_error"),
                Misses: g.Count(e => e.Outcome is "miss" or "error" && !IsUncacheable(e)),
                All: g.Count(IsCompile)))
            .ToList();
        var slowest = entries.OrderByDescending(e => e.LatencyNs).Take(Top).ToList();
        int compiles = entries.Count(IsCompile);
        int links = entries.Count(e => Prefix(e) == "link_");
        int upToDate = entries.Count - compiles - links;

        if (json)
        {
            return output.Out(SessionCommands.Json(w =>
            {
                w.WriteNumber("compiles", compiles);
                w.WriteNumber("links", links);
                w.WriteNumber("up_to_date", upToDate);
                w.WriteNumber("unreadable_lines", skipped);
                w.WriteStartObject("outcomes");
                foreach (var (k, n) in outcomes) w.WriteNumber(k, n);
                w.WriteEndObject();
                w.WriteStartArray("reasons");
                foreach (var r in reasons)
                {
                    w.WriteStartObject();
                    w.WriteString("outcome", r.Outcome);
                    w.WriteString("reason", r.Reason);
                    w.WriteNumber("count", r.Count);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("top_misses");
                foreach (var m in misses)
                {
                    w.WriteStartObject();
                    w.WriteString("source", m.Source);
                    w.WriteString("miss_reason", m.Reason);
                    if (m.Detail is not null) w.WriteString("detail", m.Detail);
                    w.WriteNumber("count", m.Count);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("projects");
                foreach (var p in projects)
                {
                    w.WriteStartObject();
                    w.WriteString("project", p.Project);
                    w.WriteNumber("compiles", p.All);
                    w.WriteNumber("hits", p.Hits);
                    w.WriteNumber("misses", p.Misses);
                    if (p.Hits + p.Misses > 0)
                        w.WriteNumber("hit_rate", (double)p.Hits / (p.Hits + p.Misses));
                    else w.WriteNull("hit_rate");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("slowest");
                foreach (var e in slowest)
                {
                    w.WriteStartObject();
                    w.WriteString("source", e.Source);
                    w.WriteString("outcome", e.Outcome);
                    w.WriteNumber("latency_ns", e.LatencyNs);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }));
        }

        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"{compiles} compiles");
        if (links > 0) text.Append(c, $", {links} links");
        if (upToDate > 0) text.Append(c, $", {upToDate} up to date");
        text.Append(c, $": {string.Join(", ", outcomes.Select(o => $"{o.Count} {o.Key}"))}\n");
        if (skipped > 0) text.Append(c, $"({skipped} unreadable lines skipped)\n");
        text.Append("\nwhy compiles were not served:\n");
        foreach (var r in reasons) text.Append(c, $"  {r.Count,4}  {r.Outcome,-13} {r.Reason}\n");
        text.Append("\ntop misses:\n");
        foreach (var m in misses) text.Append(c, $"  {m.Count,4}  {m.Reason}{(m.Detail is null ? "" : $" ({m.Detail})")}  {m.Source}\n");
        text.Append("\nhit rate by project:\n");
        foreach (var p in projects)
        {
            string rate = p.Hits + p.Misses == 0 ? "-" : ((double)p.Hits / (p.Hits + p.Misses) * 100).ToString("0.0", c) + "%";
            text.Append(c, $"  {rate,7}  {p.Hits} hits, {p.Misses} misses, {p.All} compiles  {p.Project}\n");
        }
        text.Append("\nslowest:\n");
        foreach (var e in slowest) text.Append(c, $"  {(e.LatencyNs / 1e6).ToString("0.0", c),9} ms  {e.Outcome,-13} {e.Source}\n");
        return output.Out(text.ToString());
    }

    /// <summary>The journal's lines; a torn or foreign line is skipped and counted, a launcher call written twice read once.</summary>
    private static (List<Entry>, int Skipped) Read(string path)
    {
        var entries = new List<Entry>();
        var calls = new HashSet<string>(StringComparer.Ordinal);
        int skipped = 0;
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                string? Str(string name) =>
                    root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                string outcome = Str("outcome") ?? throw new JsonException("no outcome");
                if (Str("call") is { } call && !calls.Add(call)) continue;
                string? reason = Str("miss_reason");
                string? detail = Str("non_cacheable_reason") ?? Str("changed_input");
                long latency = root.TryGetProperty("latency_ns", out var l) && l.TryGetInt64(out long ns) ? ns : 0;
                entries.Add(new Entry(outcome, Str("project"), Str("source") ?? Str("compiler"), reason, detail, latency));
            }
            catch (JsonException) { skipped++; }
        }
        return (entries, skipped);
    }
}
