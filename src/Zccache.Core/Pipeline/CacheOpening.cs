using Zccache.Core.Configuration;
using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;
using Zccache.Core.Storage.Remote;

namespace Zccache.Core.Pipeline;

/// <summary>
/// How every entry point (the launcher, the resident server, the MSBuild tasks) opens the cache and joins the session
/// its settings name. A start-up problem is a warning added to the caller's diagnostics, in one wording for all:
/// the compile goes on, without the remote, the cache or the session.
/// </summary>
public static class CacheOpening
{
    /// <summary>The cache at <paramref name="root"/>, kept to the budget the settings give, behind it the remote they
    /// name; when disabled, one that only runs compilers.</summary>
    public static CompileCache Open(ZccacheSettings settings, string root, List<Diagnostic> diagnostics, bool probe = true,
        bool snapshotInputs = false)
    {
        if (settings.Disabled) return CompileCache.Disabled();
        var cache = CompileCache.Open(root, snapshotInputs: snapshotInputs, probe: probe, remote: Remote(settings, diagnostics),
            budget: Budget(settings, root));
        diagnostics.AddRange(cache.StartupDiagnostics);
        return cache;
    }

    /// <summary>
    /// The budget the settings give (ZCCACHE_CACHE_SIZE, else the disk's default, asked of the disk only when something
    /// is stored). A size that cannot be read means the default here, silently: it is said once per build (ZC2002, by
    /// the session's start) and by <c>zccache status</c> and <c>trim</c>, not at every compile.
    /// </summary>
    public static Lazy<long> Budget(ZccacheSettings settings, string root)
    {
        long? given;
        try { given = settings.CacheSize; }
        catch (FormatException) { given = null; }
        return new Lazy<long>(() => given ?? CacheBudget.Default(root));
    }

    /// <summary>The remote the settings name, or null; a URL that cannot be used is a ZC2002 warning.</summary>
    public static RemoteStore? Remote(ZccacheSettings settings, List<Diagnostic> diagnostics)
    {
        try { return settings.Remote(); }
        catch (FormatException e)
        {
            diagnostics.Add(new Diagnostic(ZcCodes.BadProperty,
                $"{ZccacheSettings.Names.Remote}: {e.Message} Going on with the local cache only."));
            return null;
        }
    }

    /// <summary>
    /// The session the settings name (ZCCACHE_SESSION_ID, counting for ZCCACHE_PROJECT), joined in this process, or null:
    /// none named, an id that is not a UUID (ZC2001) or a session folder that cannot be used (ZC1004).
    /// </summary>
    public static SessionRecorder? JoinSession(ZccacheSettings settings, CacheLayout layout, List<Diagnostic> diagnostics,
        int parallelism = 1) =>
        ParseSessionId(settings, diagnostics) is { } id
        ? Join(() => SessionRecorder.Join(layout, id, settings.Project, parallelism), diagnostics) : null;

    /// <summary>The session id the settings name, or null; one that is not a UUID is said in <paramref name="diagnostics"/>.</summary>
    public static SessionId? ParseSessionId(ZccacheSettings settings, List<Diagnostic> diagnostics)
    {
        if (settings.SessionId is not { } given) return null;
        if (SessionId.TryParse(given, out var id)) return id;
        diagnostics.Add(new Diagnostic(ZcCodes.BadSessionId,
            $"{ZccacheSettings.Names.SessionId} '{given}' is not a UUID; compiles are cached but not counted in a session."));
        return null;
    }

    /// <summary>Runs <paramref name="join"/>; a session folder that cannot be used is a ZC1004 warning and no session.</summary>
    public static SessionRecorder? Join(Func<SessionRecorder> join, List<Diagnostic> diagnostics)
    {
        try { return join(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(new Diagnostic(ZcCodes.SessionIoError,
                $"the session folder cannot be used ({e.Message}); compiles are cached but not counted."));
            return null;
        }
    }
}
