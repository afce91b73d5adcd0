using System.Text.Json.Serialization;

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
    [JsonIgnore] public OutcomeKind Kind { get; init; }

    /// <summary>The kind as written in JSON: hit, miss, non_cacheable, cached_error.</summary>
    [JsonPropertyName("outcome")]
    public string KindName
    {
        get => Compilers.NonCacheable.ToSnake(Kind.ToString());
        // An outcome this version does not know (a newer process in the same session) makes the line unreadable, never a crash.
        init => Kind = Enum.TryParse(value.Replace("_", ""), ignoreCase: true, out OutcomeKind kind) && Enum.IsDefined(kind) ? kind
            : throw new System.Text.Json.JsonException($"unknown outcome '{value}'");
    }
    [JsonIgnore] public Step Step { get; init; }

    /// <summary>The kind as reports and the journal name it: a link's is <c>link_hit</c>, <c>link_miss</c>, …</summary>
    [JsonIgnore] public string ReportName => Step == Step.Link ? "link_" + KindName : KindName;

    /// <summary>The step as written in JSON: absent (or <c>compile</c>) for a compile, <c>link</c> for a link.</summary>
    [JsonPropertyName("step"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StepName
    {
        get => Step == Step.Link ? "link" : null;
        init => Step = Enum.TryParse(value, ignoreCase: true, out Step step) ? step : Step.Compile;
    }
    [JsonPropertyName("source")] public string? Source { get; init; }
    [JsonPropertyName("project")] public string? Project { get; init; }
    [JsonPropertyName("context_key")] public string? ContextKey { get; init; }
    /// <summary>What this compile cost here: the compiler's run, or the hit's lookup and delivery.</summary>
    [JsonPropertyName("latency_ns")] public long LatencyNs { get; init; }
    /// <summary>For hits: how long the original compile took.</summary>
    [JsonPropertyName("original_ns")] public long OriginalNs { get; init; }
    /// <summary>Bytes read from the cache (hits) or written to it (misses).</summary>
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("exit_code")] public int ExitCode { get; init; }
    /// <summary>For non-cacheable compiles: the reason's code; for misses: why it missed.</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    [JsonPropertyName("ts")] public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>For hits: served from the remote cache.</summary>
    [JsonPropertyName("remote")] public bool Remote { get; init; }
    /// <summary>How many compiles the caller ran at once (ZccacheParallelism for ClCompile; 1 when unknown, as for launchers).</summary>
    [JsonPropertyName("parallelism")] public int Parallelism { get; init; } = 1;
    /// <summary>The launcher call this outcome answers (see
    /// <see cref="Compilers.CompileInvocation.CallId"/>): counted once per id.</summary>
    [JsonPropertyName("call")] public string? Call { get; init; }

    // ---- for the journal only (not in the session's outcome files) ----
    /// <summary>The call as made: compiler, arguments, working directory.</summary>
    [JsonIgnore] public Compilers.CompileInvocation? Invocation { get; init; }
    /// <summary>For an input_changed miss: the first recorded input whose content differs.</summary>
    [JsonIgnore] public string? ChangedInput { get; init; }
    /// <summary>Where the time went (see <see cref="Sessions.Phases"/>).</summary>
    [JsonIgnore] public Phases Phases { get; init; }

    /// <summary>
    /// This outcome as one JSON line, written with <see cref="System.Text.Json.Utf8JsonWriter"/>:
    /// cheap from the first call, unlike the serializer, and this runs once per compile.
    /// The field names are those of the serializer's view of this type.
    /// </summary>
    public byte[] ToJsonLine()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
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
            w.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    /// <summary>An outcome line read back (<see cref="ToJsonLine"/>'s), or null when it is not one.</summary>
    public static CompileOutcome? FromJsonLine(ReadOnlySpan<byte> line)
    {
        try { return System.Text.Json.JsonSerializer.Deserialize(line, Storage.CoreJson.Default.CompileOutcome); }
        catch (System.Text.Json.JsonException) { return null; }
    }

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
