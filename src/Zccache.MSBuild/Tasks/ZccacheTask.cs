using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.Core.Diagnostics;
using Zccache.Core.Storage;

namespace Zccache.MSBuild.Tasks;

/// <summary>What every zccache task shares: the cache root, and ZC diagnostics as MSBuild warnings and errors.</summary>
public abstract class ZccacheTask : Microsoft.Build.Utilities.Task
{
    /// <summary>The <c>ZccacheCacheDir</c> property (already defaulted from ZCCACHE_CACHE_DIR); empty means the platform default.</summary>
    public string? CacheDir { get; set; }

    protected string CacheRoot => CacheLayout.DefaultRoot(CacheDir);

    protected void Report(Diagnostic d)
    {
        if (d.IsError) Log.LogError(null, d.Code, null, null, 0, 0, 0, 0, "{0}", d.Message);
        else Log.LogWarning(null, d.Code, null, null, 0, 0, 0, 0, "{0}", d.Message);
    }

    protected void Warn(string code, string message) => Report(new Diagnostic(code, message));

    /// <summary>
    /// The cache a task compiles or links through, behind it the remote <paramref name="remote"/> names, its start-up
    /// problems reported (each a warning: the build goes on without the cache); one that only runs compilers when disabled.
    /// </summary>
    protected Core.Pipeline.CompileCache OpenCache(bool enabled, string? remote, string? remoteReadOnly, bool snapshotInputs = false)
    {
        var cache = enabled ? Core.Pipeline.CompileCache.Open(CacheRoot, snapshotInputs: snapshotInputs, remote: OpenRemote(remote, remoteReadOnly))
            : Core.Pipeline.CompileCache.Disabled();
        foreach (Diagnostic d in cache.StartupDiagnostics) Report(d);
        return cache;
    }

    /// <summary>The remote cache the properties name, or null; a URL that cannot be used is a ZC2002 warning.</summary>
    private Core.Storage.Remote.RemoteStore? OpenRemote(string? url, string? readOnly)
    {
        try { return Core.Storage.Remote.RemoteStore.From(url, readOnly, Environment.GetEnvironmentVariable); }
        catch (FormatException e)
        {
            Warn(Core.Diagnostics.ZcCodes.BadProperty, $"ZccacheRemote: {e.Message} Going on with the local cache only.");
            return null;
        }
    }

    /// <summary>One compile's line at normal verbosity: "zccache: hit native/a.c (0.4 ms)".</summary>
    protected void LogOutcome(string source, Core.Sessions.CompileOutcome o)
    {
        if (o.Kind == Core.Sessions.OutcomeKind.UpToDate)
        {
            Log.LogMessage(MessageImportance.Low, "zccache: up to date {0}", source); // -v:d; there can be thousands
            return;
        }
        string what = o.Kind switch
        {
            Core.Sessions.OutcomeKind.Hit => "hit",
            Core.Sessions.OutcomeKind.CachedError => "hit (cached error)",
            Core.Sessions.OutcomeKind.Miss => $"miss ({o.Reason})",
            _ => $"not cached ({o.Reason})",
        };
        Log.LogMessage(MessageImportance.Normal, "zccache: {0} {1} ({2} ms)", what, source,
            (o.LatencyNs / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
    }

    private readonly HashSet<string> _warnedCodes = [];

    /// <summary>
    /// What one compile or link said: the cache's diagnostics (a warning once per task, errors always), the outcome line,
    /// and the compiler's own output as MSBuild errors and warnings; a failure that printed no error of its own is
    /// reported against <paramref name="file"/>. Not thread-safe: parallel callers hold a lock.
    /// </summary>
    protected void LogResult(string name, string file, Core.Compilers.CompileInvocation invocation, Core.Pipeline.CompileResult result)
    {
        foreach (Diagnostic d in result.Diagnostics)
            if (d.IsError || _warnedCodes.Add(d.Code)) Report(d);
        LogOutcome(name, result.Outcome);
        string output = Core.Compilers.CompilerProcess.Text(result.Stdout) + Core.Compilers.CompilerProcess.Text(result.Stderr);
        int errors = Logging.CompilerOutputLog.Write(Log, output);
        if (result.ExitCode != 0 && errors == 0 && result.Diagnostics.All(d => !d.IsError))
            Log.LogError(null, null, null, file, 0, 0, 0, 0, "{0} exited with code {1}: {2}", invocation.Compiler, result.ExitCode, output.Trim());
    }

    /// <summary>Joins session <paramref name="sessionId"/> to count this task's compiles for <paramref name="projectFile"/>; null (with a ZC1004 warning) when it cannot be used.</summary>
    protected Core.Sessions.SessionRecorder? JoinSession(Core.Pipeline.CompileCache cache, string sessionId, string projectFile, string workingDir, int parallelism = 1)
    {
        if (!Core.Sessions.SessionId.TryParse(sessionId, out var id)) return null;
        try { return Core.Sessions.SessionRecorder.Join(cache.Layout!, id, projectFile, workingDir, parallelism); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn(ZcCodes.SessionIoError, $"the session folder cannot be used ({e.Message}); compiles are cached but not counted.");
            return null;
        }
    }

}
