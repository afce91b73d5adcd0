using System.Diagnostics;
using Zccache.Cli.Launching;
using Zccache.Core.Diagnostics;
using Zccache.Core.Storage;
using Zccache.Protocol;

namespace Zccache.Cli.Server;

/// <summary>
/// The launcher's side of the resident server: hand the call over, and if a hit comes back, write its output and
/// exit. Anything else — no server yet (one is started for the next calls), a call the server does not serve, a
/// server that dies mid-call, speaks another protocol or does not answer — leaves the call to the launcher, which
/// does it itself: the server never fails a compile. <c>ZCCACHE_SERVER=0</c> turns the server off.
/// </summary>
public static class ServerClient
{
    /// <summary>
    /// What became of the hand-over: the exit code when the server served the call, else the warning to give (if any),
    /// and the server that answered "not served" (it records the outcome of the call the launcher does).
    /// </summary>
    public readonly record struct Handover(int? ExitCode, Diagnostic? Warning, ServerAddress? RecordVia = null);

    public static Handover TryServe(LauncherCall call, Stream stdout, Stream stderr)
    {
        if (!ServableCall.MayBeServed(call.Argv, call.Env) || AddressFor(call) is not { } address) return default;

        var answer = ServerConnection.Compile(address,
            new CompileRequest(call.CallId, address.Root, call.WorkingDirectory, call.Argv, call.Environment));
        if (answer.NoServer) Start(address); // none yet, or a dead one's socket: this call is done here, the next ones are served
        if (answer.Problem is { } problem) return Failed(problem);
        if (answer.Kind != ReplyKind.Served) return new Handover(null, null, answer.NoServer ? null : address);
        stdout.Write(answer.Stdout);
        stdout.Flush();
        stderr.Write(answer.Stderr);
        stderr.Flush();
        return new Handover(answer.ExitCode, null);
    }

    private static Handover Failed(string why) => new(null, FailedWarning(why));

    /// <summary>The one warning of a call the server failed.</summary>
    public static Diagnostic FailedWarning(string why) =>
        new(ZcCodes.ServerFailed, $"the zccache server failed this call: {why}; the launcher did it itself.");

    /// <summary>Starts the server for the call's cache (the thin launcher found none).</summary>
    public static void StartFor(LauncherCall call)
    {
        if (AddressFor(call) is { } address) Start(address);
    }

    /// <summary>The server address of the call's cache, or null (no server there, or no usable root).</summary>
    public static ServerAddress? AddressFor(LauncherCall call)
    {
        try { return ServerAddress.For(call.Settings.CacheRoot(call.WorkingDirectory), EngineFile); }
        catch (Exception e) when (e is ArgumentException or IOException) { return null; }
    }

    /// <summary>This engine's binary (the native one, or zccache.dll under
    /// dotnet): it names the server's address, and runs the server.</summary>
    public static string EngineFile { get; } = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) != "dotnet"
        ? self : Path.Join(AppContext.BaseDirectory, "zccache.dll");

    /// <summary>
    /// Starts the server of <paramref name="address"/> in the background, unless a launcher did so moments ago. Its
    /// standard streams are pipes closed at once (never the build's own: an Exec waiting for its output to end must
    /// not wait for the server), and it runs in the cache root.
    /// </summary>
    public static void Start(ServerAddress address)
    {
        try
        {
            // A root that is not there yet is made by this call's own run (owner-only); the next call starts the server.
            if (!Directory.Exists(address.Root)) return;
            if (File.Exists(address.SpawnMarker)
                && DateTime.UtcNow - File.GetLastWriteTimeUtc(address.SpawnMarker) < TimeSpan.FromSeconds(10)) return;
            AtomicFile.Write(address.SpawnMarker, []); // owner-only, as everything in the root
            using var process = Process.Start(ServerCommand(address)) ?? throw new IOException("not started");
            process.StandardInput.Close();
            process.StandardOutput.Close();
            process.StandardError.Close();
        }
        catch (Exception e) when (IsNotStarted(e))
        {
            // No server this time: this call runs in the launcher as it would without one, and a later call tries again.
        }
    }

    /// <summary>The server's process could not be started, or its marker not written.</summary>
    private static bool IsNotStarted(Exception e) =>
        e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException;

    /// <summary><c>zccache server-run</c> for this executable (the native launcher, or
    /// <c>dotnet zccache.dll</c>), for <paramref name="address"/>'s root.</summary>
    public static ProcessStartInfo ServerCommand(ServerAddress address)
    {
        bool native = Path.GetExtension(EngineFile) != ".dll";
        var start = new ProcessStartInfo(native ? EngineFile : Environment.ProcessPath ?? "dotnet")
        {
            UseShellExecute = false, WorkingDirectory = address.Root,
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (!native) start.ArgumentList.Add(EngineFile);
        start.ArgumentList.Add("server-run");
        start.Environment[CacheRoot.Setting] = address.Root;
        return start;
    }
}
