using Zccache.Core.Paths;

namespace Zccache.Core.Sessions;

/// <summary>
/// A session's running counters. Not thread-safe on its own: the <see cref="SessionManager"/>
/// mutates it under the session's lock.
/// </summary>
public sealed class SessionStatsTracker
{
    public long Compilations { get; private set; }
    public long Hits { get; private set; }
    public long Misses { get; private set; }
    public long NonCacheable { get; private set; }
    /// <summary>Compilations whose compiler exited non-zero (run, not replayed).</summary>
    public long Errors { get; private set; }
    /// <summary>Failed compiles replayed from the cache.</summary>
    public long ErrorsCached { get; private set; }
    /// <summary>Compile time the hits avoided: the original compiles' durations minus what the hits cost, summed.</summary>
    public long TimeSavedNs { get; private set; }
    /// <summary>
    /// The wall time that compile time is worth for the builds' parallelism: each hit's saving divided by the number of
    /// compiles its caller ran at once (an estimate; a launcher's caller's parallelism is unknown and counts as 1).
    /// </summary>
    public long WallTimeSavedNs { get; private set; }
    /// <summary>Objects found up to date (nothing looked up or compiled); not compilations.</summary>
    public long UpToDate { get; private set; }
    /// <summary>Links served from the cache; not compilations, not hits.</summary>
    public long LinkHits { get; private set; }
    /// <summary>Links that ran (not served from the cache).</summary>
    public long LinkMisses { get; private set; }
    /// <summary>Links whose output was in place with nothing it was made from changed.</summary>
    public long LinkUpToDate { get; private set; }
    public HashSet<NormalizedPath> Sources { get; } = [];
    public long BytesRead { get; private set; }
    public long BytesWritten { get; private set; }

    /// <summary>
    /// A hit. The time saved is what the original compile took minus what this hit cost,
    /// never negative: a hit that costs more than the compile saved nothing.
    /// </summary>
    public void RecordHit(NormalizedPath source, long originalCompileNs, long hitLatencyNs, long bytes, int parallelism = 1)
    {
        Hits++;
        Served(source, originalCompileNs, hitLatencyNs, bytes, parallelism);
    }

    /// <summary>An object that was up to date: it saves nothing (an incremental build would have skipped it too).</summary>
    public void RecordUpToDate(NormalizedPath source)
    {
        UpToDate++;
        Sources.Add(source);
    }

    /// <summary>Hits whose entry (or manifest) came from the remote cache; counted in <see cref="Hits"/> too.</summary>
    public long RemoteHits { get; private set; }

    public void RecordRemoteHit() => RemoteHits++;

    public void RecordMiss(NormalizedPath source, long bytes)
    {
        Compilations++;
        Misses++;
        Sources.Add(source);
        BytesWritten += bytes;
    }

    /// <summary>A link served from the cache: its saving and bytes count, but it is not a compile.</summary>
    public void RecordLinkHit(long originalNs, long hitLatencyNs, long bytes, int parallelism = 1)
    {
        LinkHits++;
        Saved(originalNs, hitLatencyNs, parallelism);
        BytesRead += bytes;
    }

    public void RecordLinkMiss(long bytes)
    {
        LinkMisses++;
        BytesWritten += bytes;
    }

    public void RecordLinkUpToDate() => LinkUpToDate++;

    public void RecordNonCacheable()
    {
        Compilations++;
        NonCacheable++;
    }

    /// <summary>A compile that ran and failed. It is also counted as a miss or non-cacheable.</summary>
    public void RecordError() => Errors++;

    /// <summary>
    /// A failed compile replayed from the cache. Like zccache it is its own bucket (not a hit, so
    /// the hit rate speaks of successful compiles only), but its saved time and bytes are counted.
    /// </summary>
    public void RecordCachedError(NormalizedPath source, long originalCompileNs, long hitLatencyNs, long bytes, int parallelism = 1)
    {
        ErrorsCached++;
        Served(source, originalCompileNs, hitLatencyNs, bytes, parallelism);
    }

    private void Served(NormalizedPath source, long originalCompileNs, long hitLatencyNs, long bytes, int parallelism)
    {
        Compilations++;
        Saved(originalCompileNs, hitLatencyNs, parallelism);
        Sources.Add(source);
        BytesRead += bytes;
    }

    private void Saved(long originalNs, long hitLatencyNs, int parallelism)
    {
        long saved = Math.Max(0, originalNs - hitLatencyNs);
        TimeSavedNs += saved;
        WallTimeSavedNs += saved / Math.Max(1, parallelism);
    }

    public FinalizedSessionStats Finalize(SessionId id, TimeSpan duration) => new()
    {
        SessionId = id.ToString(),
        DurationMs = (long)duration.TotalMilliseconds,
        Compilations = Compilations,
        Hits = Hits,
        Misses = Misses,
        NonCacheable = NonCacheable,
        Errors = Errors,
        ErrorsCached = ErrorsCached,
        RemoteHits = RemoteHits,
        TimeSavedMs = TimeSavedNs / 1_000_000,
        WallTimeSavedMs = WallTimeSavedNs / 1_000_000,
        UpToDate = UpToDate,
        UniqueSources = Sources.Count,
        BytesRead = BytesRead,
        BytesWritten = BytesWritten,
        LinkHits = LinkHits,
        LinkMisses = LinkMisses,
        LinkUpToDate = LinkUpToDate,
    };
}
