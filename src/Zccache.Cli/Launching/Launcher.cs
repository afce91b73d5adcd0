using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Cli.Launching;

/// <summary>
/// <c>zccache &lt;compiler&gt; [args…]</c>: the launcher form, as ccache's, cargo's
/// <c>RUSTC_WRAPPER</c> and CMake's <c>*_COMPILER_LAUNCHER</c> call it. The exit code, standard
/// output and standard error are the compiler's own (a hit replays them); zccache's own warnings
/// follow on standard error, prefixed <c>zccache:</c>. Configured by the environment (see <see cref="LauncherCall"/>).
/// A hit is usually served by the resident server (<see cref="Server.ServerClient"/>); this is the call done in this process.
/// </summary>
public static class Launcher
{
    public const string Usage = "usage: zccache <compiler> [compiler arguments…]  (for example: zccache gcc -c a.c -o a.o)";

    /// <summary>
    /// Does the call here. <paramref name="said"/>: warnings already due (a server that failed the call);
    /// <paramref name="recordVia"/>: the server that answered "not served", which writes the outcome in the session.
    /// </summary>
    public static int Run(LauncherCall call, Stream stdout, Stream stderr, IReadOnlyList<Diagnostic>? said = null,
        Protocol.ServerAddress? recordVia = null)
    {
        if (!call.HasCompiler)
        {
            Say(stderr, $"error {ZcCodes.NoCompiler}: no compiler given. {Usage}");
            return 2;
        }

        // .NET decodes arguments as UTF-8; bytes that are not UTF-8 cannot be passed on unchanged.
        // Such a call is handed to the compiler as it came (exec with the raw bytes), never cached.
        if (Protocol.ServableCall.HasReplacedBytes(call.Argv) && RawArguments.HasInvalidUtf8())
            return RawArguments.ExecRaw(skip: call.CompilerIndex, stderr);

        var invocation = call.Invocation();
        if (CompileCache.IsQuery(invocation) && CompilerIdentity.Resolve(invocation.Compiler, invocation.WorkingDirectory) is { } query)
            return CompilerProcess.RunInheritingStreams(query, invocation.Arguments, invocation.WorkingDirectory);

        var diagnostics = new List<Diagnostic>(said ?? []);
        var settings = call.Settings;
        var cache = CacheOpening.Open(settings, settings.CacheRoot(call.WorkingDirectory), diagnostics, probe: false);
        SessionRecorder? session = cache.IsEnabled ? CacheOpening.JoinSession(settings, cache.Layout!, diagnostics) : null;
        if (session is not null && recordVia is not null)
        {
            string id = session.Folder.Id.ToString();
            session.Forward = (outcome, journalLine) => Protocol.ServerConnection.Record(recordVia,
                new Protocol.RecordRequest(id, outcome.Project, outcome.ToJsonLine(), journalLine ?? []));
        }

        CompileResult result = cache.Compile(invocation, session);
        var reply = Reply(result, diagnostics, session);
        stdout.Write(reply.Stdout);
        stdout.Flush();
        stderr.Write(reply.Stderr);
        stderr.Flush();
        return reply.ExitCode;
    }

    /// <summary>What the caller of the launcher sees: the compiler's exit
    /// code and output, then zccache's warnings, each said once.</summary>
    public static LauncherReply Reply(CompileResult result, IEnumerable<Diagnostic> diagnostics, SessionRecorder? session)
    {
        var stderr = new MemoryStream();
        stderr.Write(result.Stderr);
        // Errors are already in the compiler's stream (ZC3001); warnings are said once, after the compiler's output.
        foreach (Diagnostic d in diagnostics.Concat(result.Diagnostics).Where(d => !d.IsError).DistinctBy(d => d.Code))
            Say(stderr, $"warning {d.Code}: {d.Message}");
        if (session?.Fault is { } fault)
            Say(stderr, $"warning {ZcCodes.SessionIoError}: the session folder cannot be written ({fault}); this compile is not counted.");
        return new LauncherReply(result.ExitCode, result.Stdout, stderr.ToArray());
    }

    public static void Say(Stream stderr, string text) => stderr.Write(Encoding.UTF8.GetBytes($"zccache: {text}\n"));
}

/// <summary>A launcher call's answer: the exit code and the bytes for standard output and standard error.</summary>
public sealed record LauncherReply(int ExitCode, byte[] Stdout, byte[] Stderr);
