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
    public static void Write(BinaryWriter w)
    {
        byte** environ = OperatingSystem.IsLinux() ? Environ() : null;
        if (environ is null)
        {
            WriteDictionary(w);
            return;
        }
        int count = 0;
        for (byte** e = environ; *e != null; e++)
            if (NameEnd(*e) > 0) count++;
        w.Write(count);
        for (byte** e = environ; *e != null; e++)
        {
            var entry = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(*e);
            int end = entry.IndexOf((byte)'=');
            if (end <= 0) continue; // no name: not a variable getenv(3) could return
            WriteString(w, entry[..end]);
            WriteString(w, entry[(end + 1)..]);
        }
    }

    private static int NameEnd(byte* entry) => MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry).IndexOf((byte)'=');

    private static void WriteString(BinaryWriter w, ReadOnlySpan<byte> utf8)
    {
        w.Write7BitEncodedInt(utf8.Length);
        w.Write(utf8);
    }

    /// <summary>libc's <c>environ</c>, or null where it cannot be found.</summary>
    private static byte** Environ() =>
        NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "environ", out nint address) ? *(byte***)address : null;

    private static void WriteDictionary(BinaryWriter w)
    {
        var all = Environment.GetEnvironmentVariables();
        w.Write(all.Count);
        foreach (DictionaryEntry e in all)
        {
            w.Write((string)e.Key);
            w.Write((string?)e.Value ?? "");
        }
    }
}
