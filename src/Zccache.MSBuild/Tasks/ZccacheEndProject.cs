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
            if (!build.AllFinished(SolutionProjects(), UsesZccache)) return true;
            if (BuildEnd.TryFinish(folder, build, Explicit, CiSummary, Environment.GetEnvironmentVariable) is not { } end) return true;

            foreach (string line in end.CiOutputLines) Log.LogMessage(MessageImportance.High, "{0}", line);
            foreach (var d in end.Diagnostics) Report(d);
            // The terminal logger hides High-importance messages below detailed verbosity, but it shows
            // the text of a High message of the form "<ProjectName> -> <text>" on the project's result
            // line (that is how it shows a project's output path), failed or not. The console logger shows it as is.
            Log.LogMessage(MessageImportance.High, "{0} -> {1}", Path.GetFileNameWithoutExtension(ProjectFile), end.SummaryLine(Explicit));
            foreach (var (project, stats) in end.PerProject)
                Log.LogMessage(MessageImportance.Normal, "{0}", StatsReport.ProjectLine(project, stats));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn(ZcCodes.SessionIoError, $"the session folder cannot be read ({e.Message}); no summary for this build.");
        }
        return true;
    }

    /// <summary>
    /// In a solution build, the solution's projects that build: the build is not over until each one that uses this
    /// package has started and finished. Outside a solution the entry project starts first and finishes last, so no list
    /// is needed. Lazy: a project file is read only when every project that started has finished, the project has not
    /// started, and every project before it has.
    /// </summary>
    private IEnumerable<string> SolutionProjects()
    {
        if (string.IsNullOrWhiteSpace(SolutionConfiguration)) return [];
        XElement solution;
        try { solution = XElement.Parse(SolutionConfiguration); }
        catch (System.Xml.XmlException) { return []; }
        return solution.Elements("ProjectConfiguration")
            .Where(e => !string.Equals((string?)e.Attribute("BuildProjectInSolution"), "False", StringComparison.OrdinalIgnoreCase))
            .Select(e => (string?)e.Attribute("AbsolutePath"))
            .OfType<string>();
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
