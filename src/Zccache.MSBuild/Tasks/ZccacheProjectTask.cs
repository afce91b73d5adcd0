using Microsoft.Build.Framework;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.MSBuild.Tasks;

/// <summary>What the begin and end tasks share: which session and build this project instance belongs to.</summary>
public abstract class ZccacheProjectTask : ZccacheTask
{
    [Required] public string SessionId { get; set; } = "";
    [Required] public string BuildId { get; set; } = "";
    /// <summary>This project instance's global properties (see <see cref="ZccacheGlobalProperties"/>).</summary>
    public string GlobalProperties { get; set; } = "";

    /// <summary>$(MSBuildProjectFullPath).</summary>
    [Required] public string ProjectFile { get; set; } = "";
    protected string InstanceKey => BuildScope.InstanceKey(ProjectFile, GlobalProperties);

    protected SessionFolder? Folder() =>
        Core.Sessions.SessionId.TryParse(SessionId, out var id) ? new SessionFolder(new CacheLayout(CacheRoot), id) : null;
}
