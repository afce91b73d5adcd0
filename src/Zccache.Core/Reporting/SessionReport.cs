using Zccache.Core.Sessions;

namespace Zccache.Core.Reporting;

/// <summary>Why compiles were not served, counted: a reason and a source, with how often.</summary>
public sealed record MissCount(string Source, string Outcome, string Reason, int Count);

/// <summary>How often one reason made compiles miss (outcome <c>miss</c>) or run uncached (<c>non_cacheable</c>).</summary>
public sealed record ReasonCount(string Outcome, string Reason, int Count);

/// <summary>A remote cache that failed during the session, and how (the URL without credentials).</summary>
public sealed record RemoteFault(string Remote, string Reason);

/// <summary>A miss that took long: where a reviewer looks first.</summary>
public sealed record SlowMiss(string Source, string Reason, long DurationMs);

/// <summary>
/// What a session did, for every report: totals, one line per project, and its misses by reason. The groupings are made
/// from the outcomes when a report first asks for them (most build ends print only the totals).
/// </summary>
public sealed record SessionReport(
    FinalizedSessionStats Total,
    IReadOnlyList<(string Project, FinalizedSessionStats Stats)> PerProject)
{
    private IReadOnlyCollection<CompileOutcome> Outcomes { get; init; } = [];
    private IReadOnlyList<MissCount>? _misses;
    private IReadOnlyList<ReasonCount>? _reasons;
    private IReadOnlyList<SlowMiss>? _slowestMisses;

    /// <summary>Misses and non-cacheable compiles by source and reason, most frequent first.</summary>
    public IReadOnlyList<MissCount> Misses { get => _misses ??= MissesOf(Outcomes); init => _misses = value; }

    /// <summary>Miss and non-cacheable reasons with their counts, most frequent first: <see cref="Misses"/> over all sources.</summary>
    public IReadOnlyList<ReasonCount> Reasons { get => _reasons ??= ReasonsOf(Misses); init => _reasons = value; }

    /// <summary>The slowest misses (compiles that ran), slowest first.</summary>
    public IReadOnlyList<SlowMiss> SlowestMisses { get => _slowestMisses ??= SlowestOf(Outcomes); init => _slowestMisses = value; }

    /// <summary>Remote caches that failed during the session.</summary>
    public IReadOnlyList<RemoteFault> RemoteFaults { get; init; } = [];

    /// <summary>Misses and non-cacheable compiles grouped by source and reason, most frequent first.</summary>
    public static List<MissCount> MissesOf(IEnumerable<CompileOutcome> outcomes) =>
        [.. outcomes.Where(o => o.Kind is OutcomeKind.Miss or OutcomeKind.NonCacheable)
            .GroupBy(o => (Source: o.Source ?? "(unknown source)", o.ReportName, Reason: o.Reason ?? ""))
            .Select(g => new MissCount(g.Key.Source, g.Key.ReportName, g.Key.Reason, g.Count()))
            .OrderByDescending(m => m.Count).ThenBy(m => m.Source, StringComparer.Ordinal).ThenBy(m => m.Reason, StringComparer.Ordinal)];

    private static List<ReasonCount> ReasonsOf(IEnumerable<MissCount> misses) =>
        [.. misses.GroupBy(m => (m.Outcome, m.Reason))
            .Select(g => new ReasonCount(g.Key.Outcome, g.Key.Reason, g.Sum(m => m.Count)))
            .OrderByDescending(r => r.Count).ThenBy(r => r.Outcome, StringComparer.Ordinal)
            .ThenBy(r => r.Reason, StringComparer.Ordinal)];

    private static List<SlowMiss> SlowestOf(IEnumerable<CompileOutcome> outcomes) =>
        [.. outcomes.Where(o => o.Kind == OutcomeKind.Miss)
            .OrderByDescending(o => o.LatencyNs).ThenBy(o => o.Source, StringComparer.Ordinal).Take(10)
            .Select(o => new SlowMiss(o.Source ?? "(unknown source)", o.Reason ?? "", o.LatencyNs / 1_000_000))];

    /// <summary>Everything a report needs from a session's outcomes.</summary>
    public static SessionReport Of(FinalizedSessionStats total, IReadOnlyList<(string, FinalizedSessionStats)> perProject,
        IReadOnlyCollection<CompileOutcome> outcomes,
        IReadOnlyList<RemoteFault>? remoteFaults = null) =>
        new(total with { RemoteFaults = remoteFaults?.Count ?? 0 }, perProject)
        {
            Outcomes = outcomes,
            RemoteFaults = remoteFaults ?? [],
        };
}
