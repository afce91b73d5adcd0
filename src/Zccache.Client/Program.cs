// zccache, the thin launcher: the server serves the hit, or the engine beside it does the call (see the project file).
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Zccache.Protocol;

string engine = Path.Join(AppContext.BaseDirectory, "zccache-engine");
if (!ServableCall.MayBeServed(args, Environment.GetEnvironmentVariable)) return Engine.Exec(engine, []);
string root = CacheRoot.Resolve(Environment.GetEnvironmentVariable, Environment.CurrentDirectory);
if (ServerAddress.For(root, engine) is not { } address) return Engine.Exec(engine, []);

string callId = CompileRequest.NewCallId();
var answer = ServerConnection.Compile(address, new CompileRequest(callId, root, Environment.CurrentDirectory, args, ServerConnection.EnvironmentOfThisProcess()));
if (answer is { Kind: ReplyKind.Served, Problem: null })
{
    Engine.Write(1, answer.Stdout);
    Engine.Write(2, answer.Stderr);
    return answer.ExitCode;
}
var state = answer.Problem is not null ? HandoverState.Failed : answer.NoServer ? HandoverState.NoServer : HandoverState.NotServed;
return Engine.Exec(engine, [CommandNames.Handover, callId, state.ToString(), .. answer.Problem is { } why ? new[] { why } : []]);

static class Engine
{
    /// <summary>Replaces this process with the engine: <paramref name="prefix"/>, then this call's arguments exactly as they came (bytes).</summary>
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
        Write(2, Encoding.UTF8.GetBytes($"zccache: error ZC1006: the zccache engine '{engine}' cannot be run ({Marshal.GetLastPInvokeError()}); reinstall the package.\n"));
        return 127;
    }

    /// <summary>
    /// Writes to standard output (1) or error (2) through the descriptor itself: System.Console would set up the
    /// terminal and a signal-handling thread first, for output that is most often empty.
    /// </summary>
    public static void Write(int fd, byte[] data)
    {
        if (data.Length == 0) return;
        try
        {
            using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            stream.Write(data);
        }
        catch (IOException) { } // a closed pipe: the compiler's own output would have met the same
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int execv(IntPtr path, IntPtr[] argv);
}
