using Zccache.Core.Compilers;
using Zccache.Core.Configuration;
using Zccache.Core.Sessions;
using Zccache.Protocol;

namespace Zccache.Cli.Launching;

/// <summary>
/// One launcher call, <c>zccache &lt;compiler&gt; [args…]</c>, with everything that decides it: the arguments, the
/// working directory and the environment. Made from this process, or received by the resident server from a
/// launcher (then the environment is the launcher's, never the server's own). The <c>ZCCACHE_*</c> settings of a call
/// are read through <see cref="Settings"/> and only there.
/// </summary>
public sealed record LauncherCall(IReadOnlyList<string> Argv, string WorkingDirectory, IReadOnlyDictionary<string, string>? Environment,
    string CallId)
{
    /// <summary>This process's call.</summary>
    public static LauncherCall OfThisProcess(IReadOnlyList<string> argv, string? callId = null) =>
        new(argv, System.Environment.CurrentDirectory, null, callId ?? CompileRequest.NewCallId());

    /// <summary>A call received by the server.</summary>
    public static LauncherCall Of(CompileRequest request) =>
        new(request.Argv, request.WorkingDirectory, request.Environment, request.CallId);

    public string? Env(string name) => Environment is null ? System.Environment.GetEnvironmentVariable(name)
        : Environment.TryGetValue(name, out string? value) ? value : null;

    /// <summary>The call's <c>ZCCACHE_*</c> settings, read from its environment.</summary>
    public ZccacheSettings Settings => new(Env);

    /// <summary>Where the compiler's name is: launchers stack ("zccache zccache gcc", a
    /// CMake launcher inside a RUSTC_WRAPPER build), and we skip ourselves.</summary>
    public int CompilerIndex => ServableCall.CompilerIndex(Argv);

    public bool HasCompiler => CompilerIndex < Argv.Count;

    /// <summary>The compile the call asks for.</summary>
    public CompileInvocation Invocation()
    {
        int first = CompilerIndex;
        var settings = Settings;
        return new CompileInvocation
        {
            Compiler = Argv[first],
            Arguments = Argv.Skip(first + 1).ToList(),
            WorkingDirectory = WorkingDirectory,
            Environment = Environment,
            BaseDir = settings.BaseDir(WorkingDirectory),
            PrefixCommand = settings.PrefixCommand,
            CallId = CallId,
        };
    }
}
