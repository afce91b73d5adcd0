using Microsoft.Build.Framework;
using Zccache.Core.Sessions;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// Ends the build's part of the session when no target of ours could. After a target fails MSBuild runs nothing but
/// <c>OnError</c> targets, and only targets that declare them get any: a failure inside <c>CoreBuild</c> reaches
/// <c>ZccacheEndBuild</c> (through CoreBuild's own <c>OnError</c>), but a failing target hooked before or after
/// <c>Build</c> reaches nothing. Every node disposes the objects registered with <see cref="RegisteredTaskObjectLifetime.Build"/>
/// when the build is over, failed, succeeded or cancelled; this one then finishes the build if nobody has: final stats,
/// stats files, CI summary. (The build log is closed by then: such a build has no summary line.) It also closes the
/// outcome file this node kept open for the session: a reused node would otherwise hold one open per build it served.
/// </summary>
internal sealed class BuildEndBackstop(SessionFolder folder, BuildScope build, bool isExplicit, string ciSummary) : IDisposable
{
    /// <summary>Registers the backstop for this build on this node, once.</summary>
    public static void Register(IBuildEngine4 engine, SessionFolder folder, string buildId, bool isExplicit, string ciSummary)
    {
        string key = "Zccache.BuildEndBackstop/" + buildId;
        if (engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is not null) return;
        engine.RegisterTaskObject(key, new BuildEndBackstop(folder, folder.Build(buildId), isExplicit, ciSummary),
            RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
    }

    public void Dispose()
    {
        // Runs inside MSBuild's node shutdown: it must never throw.
        try { BuildEnd.TryFinish(folder, build, isExplicit, ciSummary, Environment.GetEnvironmentVariable); }
        catch (Exception) { }
        try { folder.CloseWriter(); }
        catch (Exception) { }
    }
}
