using Zccache.Core.Diagnostics;

namespace Zccache.Core.Reporting;

/// <summary>
/// Publishes a session's Markdown summary to the CI system the build runs under:
/// GitHub Actions (<c>GITHUB_ACTIONS=true</c>): appended to <c>$GITHUB_STEP_SUMMARY</c>;
/// Azure DevOps (<c>TF_BUILD</c>): written to a file and announced with <c>##vso[task.uploadsummary]</c>.
/// <c>ZccacheCiSummary</c> / <c>ZCCACHE_CI_SUMMARY</c> force it: <c>true</c> (also outside a
/// detected CI, wherever one of those is configured) or <c>false</c>.
/// </summary>
public static class CiSummary
{
    /// <summary>What was done: lines to print (the Azure command), and problems (ZC1007).</summary>
    public sealed record Result(IReadOnlyList<string> OutputLines, IReadOnlyList<Diagnostic> Diagnostics);

    public static Result Publish(SessionReport report, Func<string, string?> env, string? force, string fallbackDir)
    {
        string mode = (force ?? "").Trim().ToLowerInvariant();
        if (mode == "false") return new([], []);
        bool forced = mode == "true";
        var lines = new List<string>();
        var problems = new List<Diagnostic>();
        string? rendered = null;
        string Markdown() => rendered ??= MarkdownSummary.Render(report); // only where a CI system takes it

        string? stepSummary = env("GITHUB_STEP_SUMMARY");
        if ((env("GITHUB_ACTIONS") == "true" || forced) && !string.IsNullOrEmpty(stepSummary))
        {
            try { File.AppendAllText(stepSummary, Markdown() + "\n"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new Diagnostic(ZcCodes.CiSummaryError,
                    $"the GitHub step summary '{stepSummary}' cannot be written ({e.Message})."));
            }
        }

        if (!string.IsNullOrEmpty(env("TF_BUILD")) || (forced && !string.IsNullOrEmpty(env("AGENT_TEMPDIRECTORY"))))
        {
            string dir = env("AGENT_TEMPDIRECTORY") is { Length: > 0 } agentTemp ? agentTemp : fallbackDir;
            string file = Path.Join(dir, $"zccache-{report.Total.SessionId}.md");
            try
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(file, Markdown());
                lines.Add($"##vso[task.uploadsummary]{file}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new Diagnostic(ZcCodes.CiSummaryError, $"the Azure DevOps summary '{file}' cannot be written ({e.Message})."));
            }
        }
        return new(lines, problems);
    }
}
