using System.Text;
using Zccache.Cli.Launching;

namespace Zccache.Cli.Commands;

/// <summary>
/// The <c>zccache</c> command line: its own commands (<c>session-start</c>, <c>session-stats</c>,
/// <c>session-end</c>, <c>status</c>, <c>trim</c>, <c>clear</c>, <c>analyze</c>), or else the launcher form
/// <c>zccache &lt;compiler&gt; [args…]</c>. No compiler is called like one of the commands.
/// </summary>
public static class CommandLine
{
    public const string Help = """
        usage:
          zccache <compiler> [args…]                      compile through the cache (ccache style, RUSTC_WRAPPER, CMake launcher)
          zccache session-start [--stats] [--journal <file.jsonl>] [--profile] [--json]
          zccache session-stats <id> [--json]
          zccache session-end <id> [--json]
          zccache status [--json]
          zccache trim [--size <20G>] [--json]           down to the budget (ZCCACHE_CACHE_SIZE), least recently used first
          zccache clear                                  remove every entry (sessions stay)
          zccache analyze <journal.jsonl> [--json]
          zccache server-start | server-stop              the resident server that serves launchers' hits (started by launchers anyway)
          zccache server-run                             the server in the foreground
        environment: ZCCACHE_CACHE_DIR, ZCCACHE_CACHE_SIZE, ZCCACHE_SESSION_ID, ZCCACHE_PROJECT, ZCCACHE_DISABLE=1,
          ZCCACHE_SERVER=0 (no server), ZCCACHE_SERVER_IDLE_TIMEOUT=<seconds>
        """;

    public static int Run(IReadOnlyList<string> args, Stream stdout, Stream stderr)
    {
        var output = new Output(stdout, stderr);
        string? command = args.Count > 0 ? args[0] : null;
        var rest = args.Skip(1).ToList();
        return command switch
        {
            "session-start" => SessionCommands.Start(rest, output),
            "session-stats" => SessionCommands.Stats(rest, output),
            "session-end" => SessionCommands.End(rest, output),
            "status" => StatusCommand.Run(rest, output),
            "trim" => CacheCommands.Trim(rest, output),
            "clear" => CacheCommands.Clear(rest, output),
            "analyze" => AnalyzeCommand.Run(rest, output),
            "server-start" => ServerCommands.Start(rest, output),
            "server-stop" => ServerCommands.Stop(rest, output),
            "server-run" => ServerCommands.Run(rest, output),
            "--help" or "-h" or "help" => output.Out(Help),
            "--version" => output.Out("zccache " + typeof(CommandLine).Assembly.GetName().Version),
            Protocol.CommandNames.Handover => Handover(rest, output, stdout, stderr),
            _ => Launch(args, stdout, stderr),
        };
    }

    /// <summary>
    /// <c>zccache-engine --handover &lt;call id&gt; &lt;state&gt; [&lt;why&gt;] &lt;compiler&gt; [args…]</c>: a call the thin launcher
    /// (<c>zccache</c>) tried with the server first (see <see cref="Protocol.HandoverState"/>). Done here under the same call id.
    /// </summary>
    private static int Handover(List<string> rest, Output output, Stream stdout, Stream stderr)
    {
        if (rest.Count < 3 || !Enum.TryParse(rest[1], out Protocol.HandoverState state))
            return output.Error(Core.Diagnostics.ZcCodes.BadArguments,
                "usage: zccache-engine --handover <call id> <state> [<why>] <compiler> [args…] (from the zccache launcher)", 2);
        bool failed = state == Protocol.HandoverState.Failed;
        var call = LauncherCall.OfThisProcess(rest.Skip(failed ? 3 : 2).ToList(), rest[0]);
        if (state == Protocol.HandoverState.NoServer) Server.ServerClient.StartFor(call);
        var server = state == Protocol.HandoverState.NotServed ? Server.ServerClient.AddressFor(call) : null;
        return Launcher.Run(call, stdout, stderr, failed ? [Server.ServerClient.FailedWarning(rest[2])] : null, server);
    }

    /// <summary>The launcher form: the resident server serves the call if it can; else this process does it.</summary>
    private static int Launch(IReadOnlyList<string> args, Stream stdout, Stream stderr)
    {
        var call = LauncherCall.OfThisProcess(args);
        var handover = Server.ServerClient.TryServe(call, stdout, stderr);
        return handover.ExitCode ?? Launcher.Run(call, stdout, stderr, handover.Warning is { } w ? [w] : null, handover.RecordVia);
    }
}

/// <summary>Where a command writes: its result on standard output, errors (with a ZC code) on standard error.</summary>
public sealed class Output(Stream stdout, Stream stderr)
{
    public int Out(string text)
    {
        stdout.Write(Encoding.UTF8.GetBytes(text.EndsWith('\n') ? text : text + "\n"));
        stdout.Flush();
        return 0;
    }

    public void Err(string line)
    {
        stderr.Write(Encoding.UTF8.GetBytes(line + "\n"));
        stderr.Flush();
    }

    public int Error(string code, string message, int exitCode = 1)
    {
        stderr.Write(Encoding.UTF8.GetBytes($"zccache: error {code}: {message}\n"));
        stderr.Flush();
        return exitCode;
    }

    /// <summary>Pulls <c>--json</c> (and other bare flags) out of the arguments.</summary>
    public static bool Flag(List<string> args, string name) => args.Remove(name);

    /// <summary>Pulls <c>--name value</c> (or <c>--name=value</c>) out of the arguments.</summary>
    public static string? Option(List<string> args, string name)
    {
        int i = args.FindIndex(a => a == name || a.StartsWith(name + "=", StringComparison.Ordinal));
        if (i < 0) return null;
        string value;
        if (args[i].Length > name.Length) value = args[i][(name.Length + 1)..];
        else if (i + 1 < args.Count) { value = args[i + 1]; args.RemoveAt(i + 1); }
        else value = "";
        args.RemoveAt(i);
        return value;
    }
}
