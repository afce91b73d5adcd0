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

    public void MarkStarted(string instanceKey, ProjectMarker marker)
    {
        Directory.CreateDirectory(ProjectsDir);
        AtomicFile.Write(System.IO.Path.Join(ProjectsDir, instanceKey + ".started"), marker.ToJson());
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
    /// True when every project that started has finished and every project in
    /// <paramref name="expectedProjects"/> (a solution's projects that use the package) has started.
    /// </summary>
    public bool AllFinished(IEnumerable<string> expectedProjects)
    {
        if (!Directory.Exists(ProjectsDir)) return true;
        var started = Directory.EnumerateFiles(ProjectsDir, "*.started").ToList();
        foreach (string s in started)
            if (!File.Exists(System.IO.Path.ChangeExtension(s, ".finished"))) return false;
        var startedProjects = started.Select(ReadMarker).OfType<ProjectMarker>().Select(m => m.Project)
            .ToHashSet(Paths.NormalizedPath.Comparer);
        return expectedProjects.All(startedProjects.Contains);
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
