using System.Collections;
using System.Runtime.InteropServices;

namespace Zccache.Protocol;

/// <summary>
/// This process's environment written as a request's name/value list, straight from libc's <c>environ</c> on Linux: no
/// dictionary of it, no UTF-16 copy and back. Building those was a tenth of a thin launcher call's own CPU time. The
/// bytes on the wire are what <see cref="BinaryWriter.Write(string)"/> writes for the same strings.
/// </summary>
internal static unsafe class ProcessEnvironment
{
    /// <summary>Writes the count and the variables; false, with nothing written, where libc's environ is not at hand.</summary>
    public static bool TryWrite(BinaryWriter w)
    {
        byte** environ = OperatingSystem.IsLinux() ? Environ() : null;
        if (environ is null) return false;
        int count = 0;
        for (byte** e = environ; *e != null; e++)
            if (NameEnd(Entry(*e)) > 0) count++;
        w.Write(count);
        for (byte** e = environ; *e != null; e++)
        {
            var entry = Entry(*e);
            int end = NameEnd(entry);
            if (end <= 0) continue; // no name: not a variable getenv(3) could return
            WriteString(w, entry[..end]);
            WriteString(w, entry[(end + 1)..]);
        }
        return true;
    }

    /// <summary>.NET's view of this process's environment, where <see cref="TryWrite"/> cannot write libc's.</summary>
    public static Dictionary<string, string> AsDictionary()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
        return env;
    }

    /// <summary>"NAME=value", without its terminating zero.</summary>
    private static ReadOnlySpan<byte> Entry(byte* entry) => MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry);

    private static int NameEnd(ReadOnlySpan<byte> entry) => entry.IndexOf((byte)'=');

    private static void WriteString(BinaryWriter w, ReadOnlySpan<byte> utf8)
    {
        w.Write7BitEncodedInt(utf8.Length);
        w.Write(utf8);
    }

    /// <summary>libc's <c>environ</c>, or null where it cannot be found.</summary>
    private static byte** Environ() =>
        NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "environ", out nint address) ? *(byte***)address : null;
}
