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
        environment: ZCCACHE_CACHE_DIR, ZCCACHE_CACHE_SIZE, ZCCACHE_SESSION_ID, ZCCACHE_PROJECT, ZCCACHE_DISABLE=1
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
            "--help" or "-h" or "help" => output.Out(Help),
            "--version" => output.Out("zccache " + typeof(CommandLine).Assembly.GetName().Version),
            _ => Launcher.Run(args, stdout, stderr),
        };
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
