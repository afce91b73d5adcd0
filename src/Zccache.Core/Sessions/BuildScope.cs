using System.Text;
using System.Text.Json;
using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>
/// One <c>dotnet build</c> inside a session: which projects started and finished, so the last
/// project to finish (on whatever node) knows it is last and writes the build's summary once.
/// </summary>
public sealed class BuildScope(string path)
{
    public string Path { get; } = path;
    private string ProjectsDir => System.IO.Path.Join(Path, "projects");

    /// <summary>A project instance: its file plus the global properties it was built with.</summary>
    public static string InstanceKey(string projectPath, string globalProperties) =>
        Hashing.Hex.Lower(Hashing.Sha256.Hash(Encoding.UTF8.GetBytes(projectPath + "\n" + globalProperties)))[..24];

    /// <summary>The project file's part of a started marker's name, whatever the instance: how a solution's projects are
    /// known to have started from one listing of the folder, without reading a marker.</summary>
    private static string ProjectKey(string projectPath) =>
        Hashing.Hex.Lower(Hashing.Sha256.Hash(Encoding.UTF8.GetBytes(
            Paths.NormalizedPath.Comparison == StringComparison.Ordinal ? projectPath : projectPath.ToUpperInvariant())))[..24];

    /// <summary>Writes <c>&lt;instance&gt;.&lt;project&gt;.started</c>, holding the marker.</summary>
    public void MarkStarted(string instanceKey, ProjectMarker marker)
    {
        Directory.CreateDirectory(ProjectsDir);
        AtomicFile.Write(System.IO.Path.Join(ProjectsDir, $"{instanceKey}.{ProjectKey(marker.Project)}.started"), marker.ToJson());
    }

    public void MarkFinished(string instanceKey)
    {
        Directory.CreateDirectory(ProjectsDir);
        File.WriteAllBytes(System.IO.Path.Join(ProjectsDir, instanceKey + ".finished"), []);
    }

    public List<ProjectMarker> Started() => Directory.Exists(ProjectsDir)
        ? [.. Directory.EnumerateFiles(ProjectsDir, "*.started").Select(ReadMarker).OfType<ProjectMarker>()]
        : [];

    /// <summary>
    /// True when every project that started has finished and every project of <paramref name="solutionProjects"/> has
    /// started, unless <paramref name="usesPackage"/> says it does not use the package (asked only of projects not started).
    /// </summary>
    /// <remarks>One listing of the folder, whatever the number of projects: every project's end asks, so reading each
    /// marker would cost a solution of n projects n² reads.</remarks>
    public bool AllFinished(IEnumerable<string> solutionProjects, Func<string, bool> usesPackage)
    {
        if (!Directory.Exists(ProjectsDir)) return true;
        var names = Directory.EnumerateFiles(ProjectsDir).Select(System.IO.Path.GetFileName).OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var startedProjects = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (name.Split('.') is not [var instance, var project, "started"]) continue;
            if (!names.Contains(instance + ".finished")) return false;
            startedProjects.Add(project);
        }
        return solutionProjects.All(p => startedProjects.Contains(ProjectKey(p)) || !usesPackage(p));
    }

    /// <summary>True for exactly one caller: the one that writes the build's summary.</summary>
    public bool TryClaimSummary()
    {
        Directory.CreateDirectory(Path);
        return AtomicFile.TryCreateNew(System.IO.Path.Join(Path, "summary.claimed"), []);
    }

    private static ProjectMarker? ReadMarker(string file) => JsonText.TryReadFile(file, ProjectMarker.FromJson);
}

/// <summary>What a project left when it joined a build: where it is and which stats file it wants.</summary>
public sealed record ProjectMarker(string Project, string? StatsFile)
{
    public byte[] ToJson() => JsonText.WriteObject(w =>
    {
        w.WriteString("project", Project);
        w.WriteString("stats_file", StatsFile);
    });

    /// <summary>The marker, or null without a project (not a marker).</summary>
    public static ProjectMarker? FromJson(JsonElement e) =>
        e.OptionalString("project") is { } project ? new(project, e.OptionalString("stats_file")) : null;
}
