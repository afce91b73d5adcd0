using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>
/// The housekeeping a build does before its first compile. None of it walks the cache or reads its counters: abandoned
/// sessions are ended, ended sessions beyond the kept number removed (<see cref="SessionRetention"/>) and what killed
/// processes left in staging collected. The budget is checked by the processes that store (<see cref="LocalStore"/>).
/// </summary>
public static class BuildStart
{
    /// <summary>Throws for a cache that cannot be used.</summary>
    public static void Housekeeping(CacheLayout layout, int sessionsKept)
    {
        SessionFolder.ReapAbandoned(layout, SessionManager.DefaultIdleTimeout, SessionManager.IsProcessAlive);
        SessionRetention.RemoveEnded(layout, sessionsKept);
        new LocalStore(layout).CleanStaging(TimeSpan.FromHours(1));
    }
}
