using Zccache.Cli.Server;
using Zccache.Core.Diagnostics;
using Zccache.Core.Storage;
using Zccache.Protocol;

namespace Zccache.Cli.Commands;

/// <summary>
/// <c>zccache server-start</c>, <c>server-stop</c> and <c>server-run</c>: the resident server of the cache root
/// (ZCCACHE_CACHE_DIR). Launchers start it themselves; these are for scripts, CI and debugging.
/// </summary>
public static class ServerCommands
{
    /// <summary>Starts the server in the background and waits (up to 10 s) until it answers.</summary>
    public static int Start(List<string> args, Output output)
    {
        if (args.Count > 0) return output.Error(ZcCodes.BadArguments, $"unexpected '{args[0]}'. usage: zccache server-start", 2);
        if (Address(output) is not { } address) return 1;
        if (ServerConnection.Ask(address, RequestKind.Status) is { } running)
            return output.Out($"server {running.Pid} already running for {address.Root}");
        AtomicFile.TryDelete(address.SpawnMarker);
        ServerClient.Start(address);
        for (int i = 0; i < 100; i++)
        {
            if (ServerConnection.Ask(address, RequestKind.Status) is { } status)
                return output.Out($"server {status.Pid} running for {address.Root}");
            Thread.Sleep(100);
        }
        return output.Error(ZcCodes.ServerFailed, $"the server for {address.Root} did not start; launchers compile without it.");
    }

    /// <summary>Asks the server to exit once its calls in flight are answered, and waits (up to 10 s) until it has.</summary>
    public static int Stop(List<string> args, Output output)
    {
        if (args.Count > 0) return output.Error(ZcCodes.BadArguments, $"unexpected '{args[0]}'. usage: zccache server-stop", 2);
        if (Address(output) is not { } address) return 1;
        if (ServerConnection.Ask(address, RequestKind.Status) is not { } status) return output.Out($"no server running for {address.Root}");
        ServerConnection.Ask(address, RequestKind.Stop);
        for (int i = 0; i < 100 && Core.Sessions.SessionManager.IsProcessAlive(status.Pid); i++) Thread.Sleep(100);
        return output.Out($"server {status.Pid} stopped");
    }

    /// <summary>Runs the server in the foreground (what a launcher starts in the background).</summary>
    public static int Run(List<string> args, Output output)
    {
        if (args.Count > 0) return output.Error(ZcCodes.BadArguments, $"unexpected '{args[0]}'. usage: zccache server-run", 2);
        if (Address(output) is not { } address) return 1;
        int code = CompileServer.Run(address, Core.Configuration.ZccacheSettings.OfThisProcess().ServerIdleTimeout, Console.Error);
        return code == 3 ? 0 : code;
    }

    /// <summary>The running server's status, or null when none answers.</summary>
    public static ServerStatus? Status(string root) => ServerAddress.For(root, ServerClient.EngineFile) is { } address
        ? ServerConnection.Ask(address, RequestKind.Status) : null;

    private static ServerAddress? Address(Output output)
    {
        string root = CacheLayout.DefaultRoot();
        if (ServerAddress.For(root, ServerClient.EngineFile) is { } address) return address;
        output.Error(ZcCodes.ServerFailed, OperatingSystem.IsLinux()
            ? $"the cache root '{root}' is too long a path for the server's socket; launchers compile without a server."
            : "the server runs on Linux; launchers here compile without one.");
        return null;
    }
}
