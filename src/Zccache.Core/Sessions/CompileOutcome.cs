using System.Text.Json;
using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>How a compile went, as the session counts it. <see cref="UpToDate"/>: the object was in place and nothing it was made
/// from had changed, so nothing was looked up, delivered or compiled (not a compilation, not a hit).</summary>
public enum OutcomeKind { Hit, Miss, NonCacheable, CachedError, UpToDate }

/// <summary>What a cached call makes: an object (a compile) or a library or program (a link). Links are counted apart:
/// a link hit is never a compile hit.</summary>
public enum Step { Compile, Link }

/// <summary>A compile's time by phase, in nanoseconds: key (parse, compiler identity,
/// key), lookup (manifest, inputs, entry), compile, store, deliver.</summary>
public readonly record struct Phases(long KeyNs, long LookupNs, long CompileNs, long StoreNs, long DeliverNs);

/// <summary>
/// One compile's record in a session: written by whichever process ran it (an MSBuild node, a
/// launcher) to the session folder, so the session's totals count every process.
/// </summary>
public sealed record CompileOutcome
{
    public OutcomeKind Kind { get; init; }

    /// <summary>The kind as written in JSON: hit, miss, non_cacheable, cached_error, up_to_date.</summary>
    public string KindName => Compilers.NonCacheable.ToSnake(Kind.ToString());
    public Step Step { get; init; }

    /// <summary>The kind as reports and the journal name it: a link's is <c>link_hit</c>, <c>link_miss</c>, …</summary>
    public string ReportName => Step == Step.Link ? "link_" + KindName : KindName;

    public string? Source { get; init; }
    public string? Project { get; init; }
    public string? ContextKey { get; init; }
    /// <summary>What this compile cost here: the compiler's run, or the hit's lookup and delivery.</summary>
    public long LatencyNs { get; init; }
    /// <summary>For hits: how long the original compile took.</summary>
    public long OriginalNs { get; init; }
    /// <summary>Bytes read from the cache (hits) or written to it (misses).</summary>
    public long Bytes { get; init; }
    public int ExitCode { get; init; }
    /// <summary>For non-cacheable compiles: the reason's code; for misses: why it missed.</summary>
    public string? Reason { get; init; }
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>For hits: served from the remote cache.</summary>
    public bool Remote { get; init; }
    /// <summary>How many compiles the caller ran at once (ZccacheParallelism for ClCompile; 1 when unknown, as for launchers).</summary>
    public int Parallelism { get; init; } = 1;
    /// <summary>The launcher call this outcome answers (see
    /// <see cref="Compilers.CompileInvocation.CallId"/>): counted once per id.</summary>
    public string? Call { get; init; }

    // ---- for the journal only (not in the session's outcome files) ----
    /// <summary>The call as made: compiler, arguments, working directory.</summary>
    public Compilers.CompileInvocation? Invocation { get; init; }
    /// <summary>For an input_changed miss: the first recorded input whose content differs.</summary>
    public string? ChangedInput { get; init; }
    /// <summary>Where the time went (see <see cref="Sessions.Phases"/>).</summary>
    public Phases Phases { get; init; }

    /// <summary>This outcome as one line of the session's outcome files (<see cref="FromJsonLine(string)"/> reads it).</summary>
    public byte[] ToJsonLine() =>
    [
        .. JsonText.WriteObject(w =>
        {
            w.WriteString("outcome", KindName);
            if (Step == Step.Link) w.WriteString("step", "link");
            if (Source is not null) w.WriteString("source", Source);
            if (Project is not null) w.WriteString("project", Project);
            if (ContextKey is not null) w.WriteString("context_key", ContextKey);
            w.WriteNumber("latency_ns", LatencyNs);
            w.WriteNumber("original_ns", OriginalNs);
            w.WriteNumber("bytes", Bytes);
            w.WriteNumber("exit_code", ExitCode);
            if (Reason is not null) w.WriteString("reason", Reason);
            w.WriteString("ts", Timestamp);
            if (Remote) w.WriteBoolean("remote", true);
            if (Parallelism != 1) w.WriteNumber("parallelism", Parallelism);
            if (Call is not null) w.WriteString("call", Call);
        }),
        (byte)'\n',
    ];

    /// <summary>An outcome line read back, or null when it is not one. An outcome this version does not know (written by a
    /// newer process in the same session) makes the line unreadable, never a crash.</summary>
    public static CompileOutcome? FromJsonLine(ReadOnlySpan<byte> line) => JsonText.TryParse(line, FromJson);

    /// <inheritdoc cref="FromJsonLine(ReadOnlySpan{byte})"/>
    public static CompileOutcome? FromJsonLine(string line) => JsonText.TryParse(line, FromJson);

    private static CompileOutcome? FromJson(JsonElement e) =>
        e.OptionalString("outcome") is { } name && Enum.TryParse(name.Replace("_", ""), ignoreCase: true, out OutcomeKind kind)
        && Enum.IsDefined(kind)
            ? new CompileOutcome
            {
                Kind = kind,
                Step = e.OptionalString("step") == "link" ? Step.Link : Step.Compile,
                Source = e.OptionalString("source"),
                Project = e.OptionalString("project"),
                ContextKey = e.OptionalString("context_key"),
                LatencyNs = e.OptionalLong("latency_ns"),
                OriginalNs = e.OptionalLong("original_ns"),
                Bytes = e.OptionalLong("bytes"),
                ExitCode = e.OptionalInt("exit_code"),
                Reason = e.OptionalString("reason"),
                Timestamp = e.OptionalDate("ts") ?? DateTimeOffset.UtcNow,
                Remote = e.OptionalBool("remote"),
                Parallelism = e.OptionalInt("parallelism", absent: 1),
                Call = e.OptionalString("call"),
            }
            : null;

    /// <summary>Adds this outcome to a tracker, with the seed's semantics.</summary>
    public void ApplyTo(SessionStatsTracker tracker)
    {
        var source = Paths.NormalizedPath.From(Source ?? "/unknown");
        if (Step == Step.Link)
        {
            switch (Kind)
            {
                case OutcomeKind.Hit: tracker.RecordLinkHit(OriginalNs, LatencyNs, Bytes, Parallelism); break;
                case OutcomeKind.UpToDate: tracker.RecordLinkUpToDate(); break;
                default: tracker.RecordLinkMiss(Bytes); break; // ran (links never replay a failure)
            }
            if (Kind is OutcomeKind.Miss or OutcomeKind.NonCacheable && ExitCode != 0) tracker.RecordError();
            return;
        }
        switch (Kind)
        {
            case OutcomeKind.Hit:
                tracker.RecordHit(source, OriginalNs, LatencyNs, Bytes, Parallelism);
                if (Remote) tracker.RecordRemoteHit();
                break;
            case OutcomeKind.CachedError: tracker.RecordCachedError(source, OriginalNs, LatencyNs, Bytes, Parallelism); break;
            case OutcomeKind.UpToDate: tracker.RecordUpToDate(source); break;
            case OutcomeKind.Miss: tracker.RecordMiss(source, Bytes); break;
            case OutcomeKind.NonCacheable: tracker.RecordNonCacheable(); break;
        }
        if (Kind is OutcomeKind.Miss or OutcomeKind.NonCacheable && ExitCode != 0) tracker.RecordError();
    }
}
