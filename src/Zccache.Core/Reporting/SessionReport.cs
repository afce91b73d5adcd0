using Zccache.Core.Sessions;

namespace Zccache.Core.Reporting;

/// <summary>Why compiles were not served, counted: a reason and a source, with how often.</summary>
public sealed record MissCount(string Source, string Outcome, string Reason, int Count);

/// <summary>What a session did, for every report: totals, one line per project, and its misses by reason.</summary>
public sealed record SessionReport(
    FinalizedSessionStats Total,
    IReadOnlyList<(string Project, FinalizedSessionStats Stats)> PerProject,
    IReadOnlyList<MissCount> Misses)
{
    /// <summary>Misses and non-cacheable compiles grouped by source and reason, most frequent first.</summary>
    public static List<MissCount> MissesOf(IEnumerable<CompileOutcome> outcomes) =>
        [.. outcomes.Where(o => o.Kind is OutcomeKind.Miss or OutcomeKind.NonCacheable)
            .GroupBy(o => (Source: o.Source ?? "(unknown source)", o.KindName, Reason: o.Reason ?? ""))
            .Select(g => new MissCount(g.Key.Source, g.Key.KindName, g.Key.Reason, g.Count()))
            .OrderByDescending(m => m.Count).ThenBy(m => m.Source, StringComparer.Ordinal).ThenBy(m => m.Reason, StringComparer.Ordinal)];
}
