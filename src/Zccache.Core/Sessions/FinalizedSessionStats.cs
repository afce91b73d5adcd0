using System.Text.Json;
using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>A session's statistics as plain data: what the summary line, the stats file and CI reports show.</summary>
public sealed record FinalizedSessionStats
{
    public string SessionId { get; init; } = "";
    /// <summary>How many sessions these are: 1, or more for stats added up by <see cref="Sum"/> (a folded retired.jsonl).</summary>
    public long Sessions { get; init; } = 1;
    public long DurationMs { get; init; }
    public long Compilations { get; init; }
    public long Hits { get; init; }
    public long Misses { get; init; }
    public long NonCacheable { get; init; }
    public long Errors { get; init; }
    public long ErrorsCached { get; init; }
    /// <summary>Compile time the hits avoided (summed over compiles that ran in parallel).</summary>
    public long TimeSavedMs { get; init; }
    /// <summary>An estimate of the build's wall time that compile time is
    /// worth: each hit's saving divided by its caller's parallelism.</summary>
    public long WallTimeSavedMs { get; init; }
    /// <summary>Objects that were up to date: nothing looked up, delivered or compiled. Not in <see cref="Compilations"/>.</summary>
    public long UpToDate { get; init; }
    /// <summary>Hits served from the remote cache (included in <see cref="Hits"/>); the rest were local.</summary>
    public long RemoteHits { get; init; }
    /// <summary>Remote caches that failed during the session (each then skipped: the build went on with the local cache).</summary>
    public long RemoteFaults { get; init; }
    public long UniqueSources { get; init; }
    public long BytesRead { get; init; }
    public long BytesWritten { get; init; }
    /// <summary>Links served from the cache. Links are apart from compiles: not in
    /// <see cref="Compilations"/>, <see cref="Hits"/> or the hit rate.</summary>
    public long LinkHits { get; init; }
    /// <summary>Links that ran.</summary>
    public long LinkMisses { get; init; }
    /// <summary>Links whose output was up to date: not relinked, not looked up.</summary>
    public long LinkUpToDate { get; init; }

    /// <summary>True when the session linked anything (reports show link counts only then).</summary>
    public bool HasLinks => LinkHits + LinkMisses + LinkUpToDate > 0;

    /// <summary>hits / (hits + misses); null when there was neither.</summary>
    public double? HitRate => Hits + Misses == 0 ? null : (double)Hits / (Hits + Misses);

    // The JSON field names are documented (the stats file, final.json, retired.jsonl): never rename one.
    public byte[] ToJson(bool indented = false) => JsonText.WriteObject(w =>
    {
        w.WriteString("session_id", SessionId);
        if (Sessions != 1) w.WriteNumber("sessions", Sessions);
        w.WriteNumber("duration_ms", DurationMs);
        w.WriteNumber("compilations", Compilations);
        w.WriteNumber("hits", Hits);
        w.WriteNumber("misses", Misses);
        w.WriteNumber("non_cacheable", NonCacheable);
        w.WriteNumber("errors", Errors);
        w.WriteNumber("errors_cached", ErrorsCached);
        w.WriteNumber("time_saved_ms", TimeSavedMs);
        w.WriteNumber("wall_time_saved_ms", WallTimeSavedMs);
        w.WriteNumber("up_to_date", UpToDate);
        w.WriteNumber("remote_hits", RemoteHits);
        w.WriteNumber("remote_faults", RemoteFaults);
        w.WriteNumber("unique_sources", UniqueSources);
        w.WriteNumber("bytes_read", BytesRead);
        w.WriteNumber("bytes_written", BytesWritten);
        w.WriteNumber("link_hits", LinkHits);
        w.WriteNumber("link_misses", LinkMisses);
        w.WriteNumber("link_up_to_date", LinkUpToDate);
        if (HitRate is { } rate) w.WriteNumber("hit_rate", rate); else w.WriteNull("hit_rate");
    }, indented);

    public static FinalizedSessionStats FromJson(JsonElement e) => new()
    {
        SessionId = e.OptionalString("session_id") ?? "",
        Sessions = e.OptionalLong("sessions", absent: 1),
        DurationMs = e.OptionalLong("duration_ms"),
        Compilations = e.OptionalLong("compilations"),
        Hits = e.OptionalLong("hits"),
        Misses = e.OptionalLong("misses"),
        NonCacheable = e.OptionalLong("non_cacheable"),
        Errors = e.OptionalLong("errors"),
        ErrorsCached = e.OptionalLong("errors_cached"),
        TimeSavedMs = e.OptionalLong("time_saved_ms"),
        WallTimeSavedMs = e.OptionalLong("wall_time_saved_ms"),
        UpToDate = e.OptionalLong("up_to_date"),
        RemoteHits = e.OptionalLong("remote_hits"),
        RemoteFaults = e.OptionalLong("remote_faults"),
        UniqueSources = e.OptionalLong("unique_sources"),
        BytesRead = e.OptionalLong("bytes_read"),
        BytesWritten = e.OptionalLong("bytes_written"),
        LinkHits = e.OptionalLong("link_hits"),
        LinkMisses = e.OptionalLong("link_misses"),
        LinkUpToDate = e.OptionalLong("link_up_to_date"),
    };

    /// <summary>Every count added up: what several sessions did together (no session id).</summary>
    public static FinalizedSessionStats Sum(IEnumerable<FinalizedSessionStats> all) =>
        all.Aggregate(new FinalizedSessionStats { Sessions = 0 }, (a, b) => new FinalizedSessionStats
        {
            Sessions = a.Sessions + b.Sessions,
            DurationMs = a.DurationMs + b.DurationMs,
            Compilations = a.Compilations + b.Compilations,
            Hits = a.Hits + b.Hits,
            Misses = a.Misses + b.Misses,
            NonCacheable = a.NonCacheable + b.NonCacheable,
            Errors = a.Errors + b.Errors,
            ErrorsCached = a.ErrorsCached + b.ErrorsCached,
            TimeSavedMs = a.TimeSavedMs + b.TimeSavedMs,
            WallTimeSavedMs = a.WallTimeSavedMs + b.WallTimeSavedMs,
            UpToDate = a.UpToDate + b.UpToDate,
            RemoteHits = a.RemoteHits + b.RemoteHits,
            RemoteFaults = a.RemoteFaults + b.RemoteFaults,
            UniqueSources = a.UniqueSources + b.UniqueSources,
            BytesRead = a.BytesRead + b.BytesRead,
            BytesWritten = a.BytesWritten + b.BytesWritten,
            LinkHits = a.LinkHits + b.LinkHits,
            LinkMisses = a.LinkMisses + b.LinkMisses,
            LinkUpToDate = a.LinkUpToDate + b.LinkUpToDate,
        });
}
