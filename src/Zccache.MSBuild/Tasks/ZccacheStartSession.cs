using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.Core.Configuration;
using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// Starts the build's session, or joins the explicit one named by <see cref="SessionId"/>. Runs in
/// the private Zccache.Session.proj, which every project calls with the same global properties:
/// MSBuild's result cache runs it once per build and hands every project and node the same answer.
/// </summary>
public sealed class ZccacheStartSession : ZccacheTask
{
    /// <summary>An explicit session to join (ZccacheSessionId / ZCCACHE_SESSION_ID).</summary>
    public string SessionId { get; set; } = "";

    /// <summary>ZccacheJournal: the compile journal (.jsonl) of a session this build starts (made absolute by the targets).</summary>
    public string Journal { get; set; } = "";
    /// <summary>ZccacheProfile: per-phase timings in the journal.</summary>
    public bool Profile { get; set; }

    /// <summary>ZccacheCacheSize: checked here, once per build (the stores keep the cache to it, see CacheOpening.Budget).</summary>
    public string CacheSize { get; set; } = "";

    /// <summary>ZccacheSessionsKept: how many ended sessions the cache keeps (see <see cref="SessionRetention"/>).</summary>
    public string SessionsKept { get; set; } = "";

    /// <summary>One item: the session id, with <c>BuildId</c> and <c>Explicit</c> metadata. Empty when the cache cannot be used.</summary>
    [Output] public ITaskItem? Session { get; set; }

    public override bool Execute()
    {
        var layout = new CacheLayout(CacheRoot);
        bool isExplicit = false;
        var id = Core.Sessions.SessionId.New();
        if (!string.IsNullOrWhiteSpace(SessionId))
        {
            if (Core.Sessions.SessionId.TryParse(SessionId, out var given)) { id = given; isExplicit = true; }
            else Warn(ZcCodes.BadSessionId, $"the session id '{SessionId}' is not a UUID; starting a session for this build instead.");
        }

        string? journal = string.IsNullOrWhiteSpace(Journal) ? null : Path.GetFullPath(Journal);
        if (journal is not null && Core.Sessions.Journal.PathProblem(journal) is { } problem)
        {
            Log.LogError(null, ZcCodes.BadSessionConfig, null, null, 0, 0, 0, 0, "{0}", problem);
            return false;
        }

        try
        {
            layout.EnsureCreated();
            var folder = new SessionFolder(layout, id);
            folder.EnsureCreated(Environment.ProcessId, isExplicit, Directory.GetCurrentDirectory(), journal, Profile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn(ZcCodes.CacheDirUnusable,
                $"the cache directory '{layout.Root}' cannot be used ({e.Message}); compiling without the cache.");
            return true; // no session: compiles run plainly
        }
        CheckCacheSize();
        try { BuildStart.Housekeeping(layout, Kept()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Housekeeping racing a `zccache clear` or a hand-deleted folder: next build's turn; this one keeps its cache.
            Warn(ZcCodes.CacheIoError,
                $"cleaning up the cache directory '{layout.Root}' failed ({e.Message}); it is tried again at the next build.");
        }

        var item = new TaskItem(id.ToString());
        item.SetMetadata("BuildId", Guid.NewGuid().ToString("N"));
        item.SetMetadata("Explicit", isExplicit ? "true" : "false");
        Session = item;
        Log.LogMessage(MessageImportance.Normal, "zccache: {0} session {1} in {2}", isExplicit ? "joined" : "started", id, layout.Root);
        return true;
    }

    private void CheckCacheSize()
    {
        try { _ = ZccacheSettings.OfThisProcess().WithUnlessEmpty(ZccacheSettings.Names.CacheSize, CacheSize).CacheSize; }
        catch (FormatException e) { Warn(ZcCodes.BadProperty, $"ZccacheCacheSize: {e.Message} Using the default."); }
    }

    private int Kept()
    {
        try { return ZccacheSettings.OfThisProcess().WithUnlessEmpty(ZccacheSettings.Names.SessionsKept, SessionsKept).SessionsKept; }
        catch (FormatException e)
        {
            Warn(ZcCodes.BadProperty, $"ZccacheSessionsKept: {e.Message} Using {SessionRetention.DefaultKept}.");
            return SessionRetention.DefaultKept;
        }
    }
}
