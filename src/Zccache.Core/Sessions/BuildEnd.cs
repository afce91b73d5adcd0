using Zccache.Core.Diagnostics;
using Zccache.Core.Reporting;

namespace Zccache.Core.Sessions;

/// <summary>
/// The end of one build inside a session, done once by whoever claims it: the last project to finish, the error path
/// of a failed project, or — when a build failed where no target of ours could run — the node's end-of-build cleanup.
/// It adds the session up, ends an implicit session (final stats, CI summary) and writes every stats file the build's
/// projects asked for. What it returns is for the build log; the caller without a log drops it.
/// </summary>
public static class BuildEnd
{
    /// <summary>What the build log shows of the end: the summary, per-project lines, CI output lines, problems.</summary>
    public sealed record Result(
        FinalizedSessionStats Total,
        IReadOnlyList<(string Project, FinalizedSessionStats Stats)> PerProject,
        IReadOnlyList<string> CiOutputLines,
        IReadOnlyList<Diagnostic> Diagnostics)
    {
        /// <summary>"zccache: N compilations, …", tagged with the session when it stays open for more builds.</summary>
        public string SummaryLine(bool isExplicit) => StatsReport.SummaryLine(Total) + (isExplicit ? $" [session {Total.SessionId}]" : "");
    }

    /// <summary>
    /// Claims and finishes the build, or returns null when somebody else has already claimed it.
    /// <paramref name="env"/> reads the CI variables; <paramref name="ciSummary"/> is ZccacheCiSummary (true/false/empty).
    /// Throws for a session folder that cannot be read.
    /// </summary>
    public static Result? TryFinish(SessionFolder folder, BuildScope build, bool isExplicit, string? ciSummary, Func<string, string?> env)
    {
        if (!build.TryClaimSummary()) return null;
        var report = folder.Aggregate();
        var total = report.Total;
        var ciLines = new List<string>();
        var problems = new List<Diagnostic>();
        if (!isExplicit)
        {
            total = folder.End(total);
            // The session ends here: its CI summary too (an explicit one's comes with `zccache session-end`).
            var published = CiSummary.Publish(report with { Total = total }, env, ciSummary, folder.Path);
            ciLines.AddRange(published.OutputLines);
            problems.AddRange(published.Diagnostics);
        }
        foreach (string statsFile in build.Started().Select(m => m.StatsFile).OfType<string>().Distinct())
        {
            try { StatsReport.WriteJson(statsFile, total); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new Diagnostic(ZcCodes.StatsFileError, $"the stats file '{statsFile}' cannot be written ({e.Message})."));
            }
        }
        return new Result(total, report.PerProject, ciLines, problems);
    }
}
