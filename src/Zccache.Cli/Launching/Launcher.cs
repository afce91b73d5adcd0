using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Pipeline;
using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Cli.Launching;

/// <summary>
/// <c>zccache &lt;compiler&gt; [args…]</c>: the launcher form, as ccache's, cargo's
/// <c>RUSTC_WRAPPER</c> and CMake's <c>*_COMPILER_LAUNCHER</c> call it. The exit code, standard
/// output and standard error are the compiler's own (a hit replays them); zccache's own warnings
/// follow on standard error, prefixed <c>zccache:</c>. Configured by the environment:
/// <c>ZCCACHE_CACHE_DIR</c>, <c>ZCCACHE_SESSION_ID</c> (count into that session),
/// <c>ZCCACHE_PROJECT</c> (the project the compile is counted for), <c>ZCCACHE_BASEDIR</c>, <c>ZCCACHE_PREFIX_COMMAND</c>, <c>ZCCACHE_DISABLE=1</c>.
/// </summary>
public static class Launcher
{
    public const string Usage = "usage: zccache <compiler> [compiler arguments…]  (for example: zccache gcc -c a.c -o a.o)";

    public static int Run(IReadOnlyList<string> argv, Stream stdout, Stream stderr)
    {
        // Launchers stack (a CMake launcher inside a RUSTC_WRAPPER build, "zccache zccache gcc"): skip ourselves.
        int first = 0;
        while (first < argv.Count && IsSelf(argv[first])) first++;
        if (first >= argv.Count)
        {
            Say(stderr, $"error {ZcCodes.NoCompiler}: no compiler given. {Usage}");
            return 2;
        }

        // .NET decodes arguments as UTF-8; bytes that are not UTF-8 cannot be passed on unchanged.
        // Such a call is handed to the compiler as it came (exec with the raw bytes), never cached.
        if (argv.Any(a => a.Contains('\uFFFD')) && RawArguments.HasInvalidUtf8())
            return RawArguments.ExecRaw(skip: first, stderr);

        var invocation = new CompileInvocation
        {
            Compiler = argv[first],
            Arguments = argv.Skip(first + 1).ToList(),
            WorkingDirectory = Environment.CurrentDirectory,
            BaseDir = Zccache.Core.Paths.BaseDir.From(Environment.GetEnvironmentVariable("ZCCACHE_BASEDIR")),
        };
        bool disabled = Environment.GetEnvironmentVariable("ZCCACHE_DISABLE") is "1" or "true";
        if (!disabled) invocation = invocation with { PrefixCommand = CompileInvocation.SplitPrefix(Environment.GetEnvironmentVariable("ZCCACHE_PREFIX_COMMAND")) };

        // rustc -vV and cargo's --print probes compile nothing: run them as they are, stdin included, uncounted.
        if (CompileCache.IsQuery(invocation) && CompilerIdentity.Resolve(invocation.Compiler, invocation.WorkingDirectory) is { } query)
            return CompilerProcess.RunInheritingStreams(query, invocation.Arguments, invocation.WorkingDirectory);

        var diagnostics = new List<Diagnostic>();
        Zccache.Core.Storage.Remote.RemoteStore? remote = null;
        try { remote = disabled ? null : Zccache.Core.Storage.Remote.RemoteStore.FromEnvironment(Environment.GetEnvironmentVariable); }
        catch (FormatException e) { diagnostics.Add(new Diagnostic(ZcCodes.BadProperty, $"ZCCACHE_REMOTE: {e.Message} Going on with the local cache only.")); }
        var cache = disabled ? CompileCache.Disabled() : CompileCache.Open(CacheLayout.DefaultRoot(), probe: false, remote: remote);
        diagnostics.AddRange(cache.StartupDiagnostics);
        SessionRecorder? session = cache.IsEnabled ? JoinSession(cache.Layout!, diagnostics) : null;

        CompileResult result = cache.Compile(invocation, session);
        if (result.Outcome is { Kind: OutcomeKind.Miss, Bytes: > 0 }) TrimIfDue(cache.Layout!);
        stdout.Write(result.Stdout);
        stdout.Flush();
        stderr.Write(result.Stderr);
        // Errors are already in the compiler's stream (ZC3001); warnings are said once, after the compiler's output.
        foreach (Diagnostic d in diagnostics.Concat(result.Diagnostics).Where(d => !d.IsError).DistinctBy(d => d.Code))
            Say(stderr, $"warning {d.Code}: {d.Message}");
        if (session?.Fault is { } fault)
            Say(stderr, $"warning {ZcCodes.SessionIoError}: the session folder cannot be written ({fault}); this compile is not counted.");
        stderr.Flush();
        return result.ExitCode;
    }

    /// <summary>A launcher that stored something keeps the cache in its budget, at most every ten minutes per cache.</summary>
    private static void TrimIfDue(CacheLayout layout)
    {
        try { Eviction.TrimIfDue(layout, CacheBudget.Resolve(null, layout.Root), TimeSpan.FromMinutes(10)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { } // the compile is done; trimming waits
    }

    private static SessionRecorder? JoinSession(CacheLayout layout, List<Diagnostic> diagnostics)
    {
        string? given = Environment.GetEnvironmentVariable("ZCCACHE_SESSION_ID");
        if (string.IsNullOrWhiteSpace(given)) return null;
        if (!SessionId.TryParse(given, out var id))
        {
            diagnostics.Add(new Diagnostic(ZcCodes.BadSessionId, $"ZCCACHE_SESSION_ID '{given}' is not a UUID; this compile is cached but not counted in a session."));
            return null;
        }
        try
        {
            string? project = Environment.GetEnvironmentVariable("ZCCACHE_PROJECT");
            return SessionRecorder.Join(layout, id, string.IsNullOrWhiteSpace(project) ? null : project, Environment.CurrentDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(new Diagnostic(ZcCodes.SessionIoError, $"the session folder cannot be used ({e.Message}); this compile is not counted."));
            return null;
        }
    }

    /// <summary>A zccache launcher (this one, or the script shipped beside it): the compiler is the next argument.</summary>
    private static bool IsSelf(string arg) => Path.GetFileNameWithoutExtension(arg) == "zccache";

    private static void Say(Stream stderr, string text) => stderr.Write(Encoding.UTF8.GetBytes($"zccache: {text}\n"));
}
