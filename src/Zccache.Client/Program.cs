// zccache, the thin launcher: the server serves the hit, or the engine beside it does the call (see the project file).
using System.Runtime.InteropServices;
using System.Text;
using Zccache.Protocol;

string engine = Path.Join(AppContext.BaseDirectory, "zccache-engine");
int first = args.TakeWhile(a => Path.GetFileNameWithoutExtension(a) == "zccache").Count(); // stacked launchers
bool servable = first < args.Length && !CommandNames.All.Contains(args[0])
    && !ServerConnection.IsOff(Environment.GetEnvironmentVariable("ZCCACHE_SERVER"))
    && Environment.GetEnvironmentVariable("ZCCACHE_DISABLE") is not ("1" or "true")
    && !args.Any(a => a.Contains('\uFFFD')); // not UTF-8: the engine passes the raw bytes on
string root = CacheRoot.Resolve(Environment.GetEnvironmentVariable, Environment.CurrentDirectory);
if (!servable || ServerAddress.For(root, engine) is not { } address) return Engine.Exec(engine, []);

string callId = CompileRequest.NewCallId();
var answer = ServerConnection.Compile(address, new CompileRequest(callId, root, Environment.CurrentDirectory, args, ServerConnection.EnvironmentOfThisProcess()));
if (answer is { Kind: ReplyKind.Served, Problem: null })
{
    using (var stdout = Console.OpenStandardOutput()) stdout.Write(answer.Stdout);
    using (var stderr = Console.OpenStandardError()) stderr.Write(answer.Stderr);
    return answer.ExitCode;
}
var state = answer.Problem is not null ? HandoverState.Failed : answer.NoServer ? HandoverState.NoServer : HandoverState.NotServed;
return Engine.Exec(engine, [CommandNames.Handover, callId, state.ToString(), .. answer.Problem is { } why ? new[] { why } : []]);

/// <summary>Replaces this process with the engine: <paramref name="prefix"/>, then this call's arguments exactly as they came (bytes).</summary>
static class Engine
{
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
        execv(pointers[0], pointers);
        Console.Error.WriteLine($"zccache: error ZC1006: the zccache engine '{engine}' cannot be run ({Marshal.GetLastPInvokeError()}); reinstall the package.");
        return 127;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int execv(IntPtr path, IntPtr[] argv);
}
