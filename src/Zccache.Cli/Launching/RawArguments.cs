using System.Runtime.InteropServices;
using System.Text;
using Zccache.Core.Diagnostics;

namespace Zccache.Cli.Launching;

/// <summary>
/// The launcher's arguments as bytes, for the rare call whose arguments are not valid UTF-8:
/// .NET has already replaced those bytes, so the call is re-executed from <c>/proc/self/cmdline</c>
/// with <c>execvp</c>, exactly as it came, and is not cached.
/// </summary>
internal static class RawArguments
{
    public static bool HasInvalidUtf8() => Read() is { } raw && raw.Any(a => !IsValidUtf8(a));

    /// <summary>Replaces this process with argv[1 + skip..]; returns only when that is impossible.</summary>
    public static int ExecRaw(int skip, Stream stderr)
    {
        var raw = Read();
        if (raw is null || raw.Count < 2 + skip)
        {
            stderr.Write(Encoding.UTF8.GetBytes($"zccache: error {ZcCodes.UnpassableArguments}: the arguments are not valid UTF-8 "
                + $"and cannot be passed on unchanged on this platform.\n"));
            return 2;
        }
        // The first of our arguments is the compiler; the process's own argv[0] and any stacked zccache are dropped.
        var args = raw.Skip(1 + skip).ToList();
        var pointers = new IntPtr[args.Count + 1];
        try
        {
            for (int i = 0; i < args.Count; i++)
            {
                pointers[i] = Marshal.AllocHGlobal(args[i].Length + 1);
                Marshal.Copy(args[i], 0, pointers[i], args[i].Length);
                Marshal.WriteByte(pointers[i], args[i].Length, 0);
            }
            _ = execvp(pointers[0], pointers); // returns only when the compiler could not be run: said below
        }
        finally
        {
            foreach (IntPtr p in pointers) if (p != IntPtr.Zero) Marshal.FreeHGlobal(p);
        }
        string compiler = Encoding.UTF8.GetString(args[0]);
        stderr.Write(Encoding.UTF8.GetBytes($"zccache: error {ZcCodes.CompilerNotFound}: '{compiler}' could not be run.\n"));
        return 127;
    }

    /// <summary>This process's arguments as bytes (Linux), or null.</summary>
    private static List<byte[]>? Read()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            byte[] all = File.ReadAllBytes("/proc/self/cmdline");
            var args = new List<byte[]>();
            int start = 0;
            for (int i = 0; i < all.Length; i++)
                if (all[i] == 0) { args.Add(all[start..i]); start = i + 1; }
            return args;
        }
        catch (IOException) { return null; }
    }

    private static bool IsValidUtf8(byte[] bytes)
    {
        try { new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); return true; }
        catch (DecoderFallbackException) { return false; }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int execvp(IntPtr file, IntPtr[] argv);
}
