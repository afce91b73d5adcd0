using System.Xml.Linq;
using Microsoft.Build.Framework;
using Zccache.Core.Diagnostics;
using Zccache.Core.Reporting;
using Zccache.Core.Sessions;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// Records that this project instance has finished. The last project of the build to finish
/// writes the summary: one line visible at default verbosity in the console and terminal loggers,
/// a per-project breakdown at normal verbosity, and the stats files. An implicit session ends here;
/// an explicit one stays open for the next build (its summary shows the session so far).
/// </summary>
public sealed class ZccacheEndProject : ZccacheProjectTask
{
    public bool Explicit { get; set; }
    /// <summary>ZccacheCiSummary: true/false forces the CI summary on or off; empty: when a CI system is detected.</summary>
    public string CiSummary { get; set; } = "";
    /// <summary>$(CurrentSolutionConfigurationContents): in a solution build, the projects that will build.</summary>
    public string SolutionConfiguration { get; set; } = "";

    public override bool Execute()
    {
        if (Folder() is not { } folder) return true;
        try
        {
            BuildScope build = folder.Build(BuildId);
            build.MarkFinished(InstanceKey);
            if (!build.AllFinished(SolutionProjectsUsingZccache()) || !build.TryClaimSummary()) return true;

            var report = folder.Aggregate();
            var total = report.Total;
            if (!Explicit)
            {
                total = folder.End(total);
                SessionManager.Process.End(folder.Id);
                // The session ends here: its CI summary too (an explicit one's comes with `zccache session-end`).
                PublishCiSummary(report with { Total = total }, folder.Path);
            }
            Summarize(total, report.PerProject);
            foreach (string statsFile in build.Started().Select(m => m.StatsFile).OfType<string>().Distinct())
                WriteStatsFile(statsFile, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn(ZcCodes.SessionIoError, $"the session folder cannot be read ({e.Message}); no summary for this build.");
        }
        return true;
    }

    private void PublishCiSummary(SessionReport report, string sessionDir)
    {
        var result = Core.Reporting.CiSummary.Publish(report, Environment.GetEnvironmentVariable, CiSummary, sessionDir);
        foreach (string line in result.OutputLines) Log.LogMessage(MessageImportance.High, "{0}", line);
        foreach (var d in result.Diagnostics) Report(d);
    }

    private void Summarize(FinalizedSessionStats total, IReadOnlyList<(string Project, FinalizedSessionStats Stats)> perProject)
    {
        // The terminal logger hides High-importance messages below detailed verbosity, but it shows
        // the text of a High message of the form "<ProjectName> -> <text>" on the project's result
        // line (that is how it shows a project's output path). The console logger shows it as is.
        string projectName = Path.GetFileNameWithoutExtension(ProjectFile);
        string line = StatsReport.SummaryLine(total) + (Explicit ? $" [session {total.SessionId}]" : "");
        Log.LogMessage(MessageImportance.High, "{0} -> {1}", projectName, line);
        foreach (var (project, stats) in perProject)
            Log.LogMessage(MessageImportance.Normal, "{0}", StatsReport.ProjectLine(project, stats));
    }

    /// <summary>
    /// In a solution build, the solution's projects that use this package: the build is not over
    /// until each has started and finished. Outside a solution the entry project starts first and
    /// finishes last, so no list is needed.
    /// </summary>
    private IEnumerable<string> SolutionProjectsUsingZccache()
    {
        if (string.IsNullOrWhiteSpace(SolutionConfiguration)) return [];
        try
        {
            return XElement.Parse(SolutionConfiguration).Elements("ProjectConfiguration")
                .Where(e => !string.Equals((string?)e.Attribute("BuildProjectInSolution"), "False", StringComparison.OrdinalIgnoreCase))
                .Select(e => (string?)e.Attribute("AbsolutePath"))
                .OfType<string>()
                .Where(UsesZccache)
                .ToList();
        }
        catch (System.Xml.XmlException)
        {
            return [];
        }
    }

    private static bool UsesZccache(string projectPath)
    {
        try
        {
            if (File.ReadAllText(projectPath).Contains("Zccache.MSBuild", StringComparison.OrdinalIgnoreCase)) return true;
            string assets = Path.Join(Path.GetDirectoryName(projectPath), "obj", "project.assets.json");
            return File.Exists(assets) && File.ReadAllText(assets).Contains("\"Zccache.MSBuild/", StringComparison.OrdinalIgnoreCase);
        }
        catch (IOException) { return false; }
    }
}
