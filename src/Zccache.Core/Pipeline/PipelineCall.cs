using Zccache.Core.Compilers;
using Zccache.Core.Contexts;
using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;

namespace Zccache.Core.Pipeline;

/// <summary>
/// One call on its way through the pipeline once its compiler is resolved: the call, where its outcome and
/// diagnostics go, and when it started (its latency and phases count from there).
/// </summary>
internal sealed class PipelineCall(CompileInvocation invocation, SessionRecorder? session, string compilerPath, long started)
{
    public CompileInvocation Invocation { get; } = invocation;
    public SessionRecorder? Session { get; } = session;
    public string CompilerPath { get; } = compilerPath;
    public long Started { get; } = started;
    /// <summary>What the caller is told besides the compiler's output, gathered along the way.</summary>
    public List<Diagnostic> Diagnostics { get; } = [];

    /// <summary>Counts the outcome in the session, with the call it came from (for the journal).</summary>
    public void Record(CompileOutcome outcome) => Record(Session, outcome, Invocation);

    public static void Record(SessionRecorder? session, CompileOutcome outcome, CompileInvocation invocation) =>
        session?.Record(outcome with { Invocation = invocation, Call = invocation.CallId });
}

/// <summary>A request the cache can serve: planned by its compiler's reader and keyed (at <paramref name="Keyed"/>).</summary>
internal sealed record CacheableRequest(PipelineCall Call, CacheableCompile Compile, ContextKey Key, long Keyed)
{
    public CompileInvocation Invocation => Call.Invocation;
}
