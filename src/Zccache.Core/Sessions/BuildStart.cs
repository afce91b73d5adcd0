using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>
/// The housekeeping a build does before its first compile. None of it walks the cache: abandoned
/// sessions are ended, ended sessions beyond the kept number removed (<see cref="SessionRetention"/>),
/// what killed processes left in staging collected, and, at most once a minute, the cache trimmed
/// to its budget (the check reads the shard counters, see <see cref="Eviction"/>).
/// </summary>
public static class BuildStart
{
    /// <summary>The trim's result when one was due, else null. Throws for a cache that cannot be used.</summary>
    public static TrimResult? Housekeeping(CacheLayout layout, long budget, int sessionsKept)
    {
        SessionFolder.ReapAbandoned(layout, SessionManager.DefaultIdleTimeout, SessionManager.IsProcessAlive);
        SessionRetention.RemoveEnded(layout, sessionsKept);
        new LocalStore(layout).CleanStaging(TimeSpan.FromHours(1));
        return Eviction.TrimIfDue(layout, budget, TimeSpan.FromMinutes(1));
    }
}
