using System.Text.Json.Serialization;

namespace Zccache.Core.Sessions;

/// <summary>A session's statistics as plain data: what the summary line, the stats file and CI reports show.</summary>
public sealed record FinalizedSessionStats
{
    [JsonPropertyName("session_id")] public string SessionId { get; init; } = "";
    [JsonPropertyName("duration_ms")] public long DurationMs { get; init; }
    [JsonPropertyName("compilations")] public long Compilations { get; init; }
    [JsonPropertyName("hits")] public long Hits { get; init; }
    [JsonPropertyName("misses")] public long Misses { get; init; }
    [JsonPropertyName("non_cacheable")] public long NonCacheable { get; init; }
    [JsonPropertyName("errors")] public long Errors { get; init; }
    [JsonPropertyName("errors_cached")] public long ErrorsCached { get; init; }
    /// <summary>Compile time the hits avoided (summed over compiles that ran in parallel).</summary>
    [JsonPropertyName("time_saved_ms")] public long TimeSavedMs { get; init; }
    /// <summary>An estimate of the build's wall time that compile time is
    /// worth: each hit's saving divided by its caller's parallelism.</summary>
    [JsonPropertyName("wall_time_saved_ms")] public long WallTimeSavedMs { get; init; }
    /// <summary>Objects that were up to date: nothing looked up, delivered or compiled. Not in <see cref="Compilations"/>.</summary>
    [JsonPropertyName("up_to_date")] public long UpToDate { get; init; }
    /// <summary>Hits served from the remote cache (included in <see cref="Hits"/>); the rest were local.</summary>
    [JsonPropertyName("remote_hits")] public long RemoteHits { get; init; }
    /// <summary>Remote caches that failed during the session (each then skipped: the build went on with the local cache).</summary>
    [JsonPropertyName("remote_faults")] public long RemoteFaults { get; init; }
    [JsonPropertyName("unique_sources")] public long UniqueSources { get; init; }
    [JsonPropertyName("bytes_read")] public long BytesRead { get; init; }
    [JsonPropertyName("bytes_written")] public long BytesWritten { get; init; }
    /// <summary>Links served from the cache. Links are apart from compiles: not in
    /// <see cref="Compilations"/>, <see cref="Hits"/> or the hit rate.</summary>
    [JsonPropertyName("link_hits")] public long LinkHits { get; init; }
    /// <summary>Links that ran.</summary>
    [JsonPropertyName("link_misses")] public long LinkMisses { get; init; }
    /// <summary>Links whose output was up to date: not relinked, not looked up.</summary>
    [JsonPropertyName("link_up_to_date")] public long LinkUpToDate { get; init; }

    /// <summary>True when the session linked anything (reports show link counts only then).</summary>
    [JsonIgnore] public bool HasLinks => LinkHits + LinkMisses + LinkUpToDate > 0;

    /// <summary>hits / (hits + misses); null when there was neither.</summary>
    [JsonPropertyName("hit_rate")]
    public double? HitRate => Hits + Misses == 0 ? null : (double)Hits / (Hits + Misses);
}
