using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.Core.Configuration;
using Zccache.Core.Diagnostics;
using Zccache.Core.Pipeline;
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
    /// The cache a task compiles or links through and the session it counts in, as <paramref name="settings"/> name them
    /// (the build's environment under the task's properties); start-up problems are warnings, the build goes on without them.
    /// </summary>
    protected (CompileCache Cache, Core.Sessions.SessionRecorder? Session) Open(ZccacheSettings settings, bool snapshotInputs = false,
        int parallelism = 1)
    {
        var diagnostics = new List<Diagnostic>();
        var cache = CacheOpening.Open(settings, CacheRoot, diagnostics, snapshotInputs: snapshotInputs);
        var session = cache.IsEnabled ? CacheOpening.JoinSession(settings, cache.Layout!, diagnostics, parallelism) : null;
        foreach (Diagnostic d in diagnostics) Report(d);
        return (cache, session);
    }

    /// <summary>The session <paramref name="settings"/> name, or null; problems are warnings.</summary>
    protected Core.Sessions.SessionRecorder? JoinSession(ZccacheSettings settings, CacheLayout layout)
    {
        var diagnostics = new List<Diagnostic>();
        var session = CacheOpening.JoinSession(settings, layout, diagnostics);
        foreach (Diagnostic d in diagnostics) Report(d);
        return session;
    }

    /// <summary>The settings of a task given the package's ZccacheEnabled, session, project, remote and cache size
    /// properties, which are the settings' values (an empty cache size: the setting's).</summary>
    protected static ZccacheSettings Settings(bool enabled, string? sessionId, string? projectFile, string? remote,
        string? remoteReadOnly, string? cacheSize) =>
        ZccacheSettings.OfThisProcess()
            .WithUnlessEmpty(ZccacheSettings.Names.CacheSize, cacheSize)
            .With(ZccacheSettings.Names.Disable, enabled ? "0" : "1")
            .With(ZccacheSettings.Names.SessionId, sessionId)
            .With(ZccacheSettings.Names.Project, projectFile)
            .With(ZccacheSettings.Names.Remote, remote)
            .With(ZccacheSettings.Names.RemoteReadOnly, remoteReadOnly);

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
            Log.LogError(null, null, null, file, 0, 0, 0, 0, "{0} exited with code {1}: {2}", invocation.Compiler, result.ExitCode,
                output.Trim());
    }

}
