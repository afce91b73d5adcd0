using Microsoft.Build.Framework;
using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;

namespace Zccache.MSBuild.Tasks;

/// <summary>Records that this project instance has started in the build, and which stats file it asks for.</summary>
public sealed class ZccacheBeginProject : ZccacheProjectTask
{
    public string StatsFile { get; set; } = "";
    /// <summary>The session is explicit (it stays open after the build).</summary>
    public bool Explicit { get; set; }
    /// <summary>ZccacheCiSummary, for a build that ends where no target of ours runs (see <see cref="BuildEndBackstop"/>).</summary>
    public string CiSummary { get; set; } = "";

    public override bool Execute()
    {
        if (Folder() is not { } folder) return true;
        try
        {
            string? stats = string.IsNullOrWhiteSpace(StatsFile) ? null : Path.GetFullPath(StatsFile, Path.GetDirectoryName(ProjectFile)!);
            folder.Build(BuildId).MarkStarted(InstanceKey, new ProjectMarker(ProjectFile, stats));
            if (BuildEngine is IBuildEngine4 engine) BuildEndBackstop.Register(engine, folder, BuildId, Explicit, CiSummary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn(ZcCodes.SessionIoError, $"the session folder cannot be written ({e.Message}); the build summary may be missing.");
        }
        return true;
    }
}
