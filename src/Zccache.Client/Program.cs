// zccache, the thin launcher: the server serves the hit, or the engine beside it does the call (see the project file).
using System.Runtime.InteropServices;
using System.Text;
using Zccache.Protocol;

// Beside this executable (its real path: /proc/self/exe). Not AppContext.BaseDirectory, which sets up the app's
// configuration store first: a tenth of a millisecond on every call.
// Never a relative name: it would be looked up in the build's working directory. Without a path exec fails, with ZC1006.
string engine = Environment.ProcessPath is { } self ? Path.Join(Path.GetDirectoryName(self), "zccache-engine") : "";
if (engine.Length == 0 || !ServableCall.MayBeServed(args, Environment.GetEnvironmentVariable)) return Engine.Exec(engine, []);
string cwd = Environment.CurrentDirectory;
string root = CacheRoot.Resolve(Environment.GetEnvironmentVariable, cwd);
if (ServerAddress.For(root, engine) is not { } address) return Engine.Exec(engine, []);

string callId = CompileRequest.NewCallId();
var answer = ServerConnection.Compile(address, new CompileRequest(callId, root, cwd, args, Environment: null));
if (answer is { Kind: ReplyKind.Served, Problem: null })
{
    Engine.Write(1, answer.Stdout);
    Engine.Write(2, answer.Stderr);
    return answer.ExitCode;
}
var state = answer.Problem is not null ? HandoverState.Failed : answer.NoServer ? HandoverState.NoServer : HandoverState.NotServed;
return Engine.Exec(engine, [CommandNames.Handover, callId, state.ToString(), .. answer.Problem is { } why ? new[] { why } : []]);

static partial class Engine
{
    /// <summary>Replaces this process with the engine: <paramref name="prefix"/>,
    /// then this call's arguments exactly as they came (bytes).</summary>
    public static int Exec(string engine, string[] prefix)
    {
        byte[] cmdline = File.ReadAllBytes("/proc/self/cmdline");
        var raw = new List<byte[]>();
        for (int start = 0, i = 0; i < cmdline.Length; i++)
            if (cmdline[i] == 0) { raw.Add(cmdline[start..i]); start = i + 1; }
        var argv = new List<byte[]> { Encoding.UTF8.GetBytes(engine) };
        argv.AddRange(prefix.Select(Encoding.UTF8.GetBytes));
        argv.AddRange(raw.Skip(1));
        var pointers = new IntPtr[argv.Count + 1];
        for (int i = 0; i < argv.Count; i++)
        {
            pointers[i] = Marshal.AllocHGlobal(argv[i].Length + 1);
            Marshal.Copy(argv[i], 0, pointers[i], argv[i].Length);
            Marshal.WriteByte(pointers[i], argv[i].Length, 0);
        }
        _ = execv(pointers[0], pointers); // returns only when it failed: errno says why
        int errno = Marshal.GetLastPInvokeError();
        string message = $"zccache: error ZC1006: the zccache engine '{engine}' cannot be run ({errno}); reinstall the package.\n";
        Write(2, Encoding.UTF8.GetBytes(message));
        return 127;
    }

    /// <summary>
    /// Writes to standard output (1) or error (2) with write(2), as the compiler itself would: at the descriptor's own
    /// offset (a file that 2>&amp;1 shares, a log the shell appends to after us), waiting when a non-blocking pipe is
    /// full. System.Console would set up the terminal and a signal-handling thread first, for output most often empty.
    /// A closed pipe stops it quietly: the compiler's own output would have met the same.
    /// </summary>
    public static void Write(int fd, byte[] data) => _ = Posix.WriteAll(fd, data, PosixWrite.Descriptor);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int execv(IntPtr path, IntPtr[] argv);
}
