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

    /// <summary>
    /// Every count with its JSON name, in the order files hold them: what <see cref="ToJson"/>, <see cref="FromJson"/> and
    /// <see cref="Sum"/> go through, so a count added here is written, read and added up. The names are documented (the
    /// stats file, final.json, retired.jsonl): never rename one.
    /// </summary>
    private static readonly Count[] Counts =
    [
        new("duration_ms", s => s.DurationMs, (s, v) => s with { DurationMs = v }),
        new("compilations", s => s.Compilations, (s, v) => s with { Compilations = v }),
        new("hits", s => s.Hits, (s, v) => s with { Hits = v }),
        new("misses", s => s.Misses, (s, v) => s with { Misses = v }),
        new("non_cacheable", s => s.NonCacheable, (s, v) => s with { NonCacheable = v }),
        new("errors", s => s.Errors, (s, v) => s with { Errors = v }),
        new("errors_cached", s => s.ErrorsCached, (s, v) => s with { ErrorsCached = v }),
        new("time_saved_ms", s => s.TimeSavedMs, (s, v) => s with { TimeSavedMs = v }),
        new("wall_time_saved_ms", s => s.WallTimeSavedMs, (s, v) => s with { WallTimeSavedMs = v }),
        new("up_to_date", s => s.UpToDate, (s, v) => s with { UpToDate = v }),
        new("remote_hits", s => s.RemoteHits, (s, v) => s with { RemoteHits = v }),
        new("remote_faults", s => s.RemoteFaults, (s, v) => s with { RemoteFaults = v }),
        new("unique_sources", s => s.UniqueSources, (s, v) => s with { UniqueSources = v }),
        new("bytes_read", s => s.BytesRead, (s, v) => s with { BytesRead = v }),
        new("bytes_written", s => s.BytesWritten, (s, v) => s with { BytesWritten = v }),
        new("link_hits", s => s.LinkHits, (s, v) => s with { LinkHits = v }),
        new("link_misses", s => s.LinkMisses, (s, v) => s with { LinkMisses = v }),
        new("link_up_to_date", s => s.LinkUpToDate, (s, v) => s with { LinkUpToDate = v }),
    ];

    private sealed record Count(string JsonName, Func<FinalizedSessionStats, long> Get,
        Func<FinalizedSessionStats, long, FinalizedSessionStats> With);

    public byte[] ToJson(bool indented = false) => JsonText.WriteObject(w =>
    {
        w.WriteString("session_id", SessionId);
        if (Sessions != 1) w.WriteNumber("sessions", Sessions);
        foreach (var count in Counts) w.WriteNumber(count.JsonName, count.Get(this));
        if (HitRate is { } rate) w.WriteNumber("hit_rate", rate); else w.WriteNull("hit_rate");
    }, indented);

    public static FinalizedSessionStats FromJson(JsonElement e) => Counts.Aggregate(
        new FinalizedSessionStats { SessionId = e.OptionalString("session_id") ?? "", Sessions = e.OptionalLong("sessions", absent: 1) },
        (stats, count) => count.With(stats, e.OptionalLong(count.JsonName)));

    /// <summary>Every count added up: what several sessions did together (no session id).</summary>
    public static FinalizedSessionStats Sum(IEnumerable<FinalizedSessionStats> all) =>
        all.Aggregate(new FinalizedSessionStats { Sessions = 0 }, (a, b) => Counts.Aggregate(
            new FinalizedSessionStats { Sessions = a.Sessions + b.Sessions },
            (sum, count) => count.With(sum, count.Get(a) + count.Get(b))));
}
