using System.Buffers;
using System.Text.Json;

namespace Zccache.Core.Sessions;

/// <summary>
/// The compile journal: one JSON object per compile (outcome: hit, miss, error,
/// cached_error, non_cacheable), appended to the session's <c>.jsonl</c> file
/// by every process that compiles for it. The schema (README, "Compile journal") only grows.
/// The environment is written through an allow-list of variables that change output; nothing else.
/// </summary>
public static class Journal
{
    /// <summary>The only environment variables a journal line shows.</summary>
    public static readonly string[] EnvironmentAllowList =
    [
        "CC", "CXX", "CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "SOURCE_DATE_EPOCH", "LANG", "LC_ALL",
        "CARGO_PKG_NAME", "CARGO_PKG_VERSION", "CARGO_CRATE_NAME", "CARGO_INCREMENTAL", "RUSTC_BOOTSTRAP", "EM_CACHE",
    ];

    /// <summary>The closed set of miss reasons as the journal writes them: why nothing was served, and for a compile that ran but
    /// was not stored, why not.</summary>
    public static readonly string[] MissReasonNames = [.. Enum.GetValues<MissReason>().Select(r => r.ToWireName())];

    /// <summary>Why <paramref name="path"/> cannot be a journal (ZC2003), or null: a journal is a <c>.jsonl</c> file.</summary>
    public static string? PathProblem(string path) =>
        path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? null
        : $"the journal path '{path}' must end in .jsonl (one JSON object per line).";

    public static byte[] Line(CompileOutcome o, string sessionId, bool profile)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("ts", o.Timestamp);
            // A compile that ran and failed is an "error" (its kind, miss or non_cacheable, stays in miss_reason).
            bool failedRun = o.Kind is OutcomeKind.Miss or OutcomeKind.NonCacheable && o.ExitCode != 0;
            // A link's outcome says so: link_hit, link_miss, link_up_to_date, link_error.
            w.WriteString("outcome", failedRun ? (o.Step == Step.Link ? "link_error" : "error") : o.ReportName);
            w.WriteString("session_id", sessionId);
            if (o.Project is not null) w.WriteString("project", o.Project);
            if (o.Call is not null) w.WriteString("call", o.Call);
            if (o.Source is not null) w.WriteString("source", o.Source);
            if (o.Invocation is { } call)
            {
                w.WriteString("compiler", call.Compiler);
                w.WriteStartArray("args");
                foreach (string a in call.Arguments) w.WriteStringValue(a);
                w.WriteEndArray();
                w.WriteString("cwd", call.WorkingDirectory);
            }
            w.WriteNumber("exit_code", o.ExitCode);
            w.WriteNumber("latency_ns", o.LatencyNs);
            if (o.ContextKey is not null) w.WriteString("context_key", o.ContextKey);
            switch (o.Kind)
            {
                case OutcomeKind.Miss:
                    w.WriteString("miss_reason", o.Reason ?? MissReason.ContextNotFound.ToWireName());
                    if (o.ChangedInput is not null) w.WriteString("changed_input", o.ChangedInput);
                    break;
                case OutcomeKind.NonCacheable:
                    w.WriteString("miss_reason", MissReason.UncacheableInput.ToWireName());
                    w.WriteString("non_cacheable_reason", o.Reason ?? "");
                    break;
            }
            if (o.Kind is OutcomeKind.Hit or OutcomeKind.CachedError)
            {
                w.WriteNumber("original_ns", o.OriginalNs);
                w.WriteBoolean("remote", o.Remote);
            }
            w.WriteNumber("bytes", o.Bytes);
            if (o.Invocation is { } inv)
            {
                w.WriteStartObject("env");
                foreach (string name in EnvironmentAllowList)
                    if (inv.GetEnvironmentVariable(name) is { } value) w.WriteString(name, value);
                w.WriteEndObject();
            }
            if (profile)
            {
                w.WriteStartObject("phases");
                w.WriteNumber("key_ns", o.Phases.KeyNs);
                w.WriteNumber("lookup_ns", o.Phases.LookupNs);
                w.WriteNumber("compile_ns", o.Phases.CompileNs);
                w.WriteNumber("store_ns", o.Phases.StoreNs);
                w.WriteNumber("deliver_ns", o.Phases.DeliverNs);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    /// <summary>Appends one line as one record: lines of concurrent threads and
    /// processes never mix (see <see cref="Storage.AppendOnlyFile"/>).</summary>
    public static void Append(string path, byte[] line) => Storage.AppendOnlyFile.Append(path, line);
}
