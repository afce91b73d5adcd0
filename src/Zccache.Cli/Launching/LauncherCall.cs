using Zccache.Core.Compilers;
using Zccache.Core.Sessions;
using Zccache.Protocol;

namespace Zccache.Cli.Launching;

/// <summary>
/// One launcher call, <c>zccache &lt;compiler&gt; [args…]</c>, with everything that decides it: the arguments, the
/// working directory and the environment. Made from this process, or received by the resident server from a
/// launcher (then the environment is the launcher's, never the server's own). The <c>ZCCACHE_*</c> settings of a call
/// are read here and only here.
/// </summary>
public sealed record LauncherCall(IReadOnlyList<string> Argv, string WorkingDirectory, IReadOnlyDictionary<string, string>? Environment, string CallId)
{
    /// <summary>This process's call.</summary>
    public static LauncherCall OfThisProcess(IReadOnlyList<string> argv, string? callId = null) =>
        new(argv, System.Environment.CurrentDirectory, null, callId ?? CompileRequest.NewCallId());

    /// <summary>A call received by the server.</summary>
    public static LauncherCall Of(CompileRequest request) => new(request.Argv, request.WorkingDirectory, request.Environment, request.CallId);

    public string? Env(string name) => Environment is null ? System.Environment.GetEnvironmentVariable(name)
        : Environment.TryGetValue(name, out string? value) ? value : null;

    /// <summary>Where the compiler's name is: launchers stack ("zccache zccache gcc", a CMake launcher inside a RUSTC_WRAPPER build), and we skip ourselves.</summary>
    public int CompilerIndex => ServableCall.CompilerIndex(Argv);

    public bool HasCompiler => CompilerIndex < Argv.Count;

    /// <summary>ZCCACHE_DISABLE=1: compile plainly, no cache, no session.</summary>
    public bool Disabled => ServableCall.IsDisabled(Env);

    /// <summary>The cache root: ZCCACHE_CACHE_DIR (relative to the call's directory), else the user's cache folder.</summary>
    public string CacheRoot => Protocol.CacheRoot.Resolve(Env, WorkingDirectory);

    public string? SessionIdText => Env("ZCCACHE_SESSION_ID") is { } id && !string.IsNullOrWhiteSpace(id) ? id : null;

    public string? Project => Env("ZCCACHE_PROJECT") is { } p && !string.IsNullOrWhiteSpace(p) ? p : null;

    /// <summary>The compile the call asks for.</summary>
    public CompileInvocation Invocation()
    {
        int first = CompilerIndex;
        string? baseDir = Env("ZCCACHE_BASEDIR");
        return new CompileInvocation
        {
            Compiler = Argv[first],
            Arguments = Argv.Skip(first + 1).ToList(),
            WorkingDirectory = WorkingDirectory,
            Environment = Environment,
            BaseDir = Zccache.Core.Paths.BaseDir.From(string.IsNullOrWhiteSpace(baseDir) ? baseDir : Path.GetFullPath(baseDir.Trim(), WorkingDirectory)),
            PrefixCommand = Disabled ? [] : CompileInvocation.SplitPrefix(Env("ZCCACHE_PREFIX_COMMAND")),
            CallId = CallId,
        };
    }
}
