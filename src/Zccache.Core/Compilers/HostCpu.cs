using System.Text;
using Zccache.Core.Hashing;

namespace Zccache.Core.Compilers;

/// <summary>
/// What <c>-march=native</c>, <c>-mtune=native</c>, <c>-mcpu=native</c> and rustc's
/// <c>-C target-cpu=native</c> compile for: this machine's processor. An object built for one CPU
/// must not be served to another (a shared or remote cache), so such a call keys the processor's
/// identification and feature flags (Linux's <c>/proc/cpuinfo</c>, read once per process).
/// </summary>
public static class HostCpu
{
    private static readonly Lazy<string?> Identity = new(Read);

    /// <summary>True when an argument asks the compiler to detect the host processor.</summary>
    public static bool IsNative(string arg) =>
        arg.EndsWith("=native", StringComparison.Ordinal)
        && (arg.StartsWith("-march=", StringComparison.Ordinal) || arg.StartsWith("-mtune=", StringComparison.Ordinal)
            || arg.StartsWith("-mcpu=", StringComparison.Ordinal) || arg.Contains("target-cpu=", StringComparison.Ordinal));

    /// <summary>A digest of the host processor's identification and features;
    /// null where it cannot be read (then such calls are not cached).</summary>
    public static string? Digest() => Identity.Value;

    private static string? Read()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            // The first processor's block: all cores of one machine report the same features.
            var block = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0)
                .Where(l => l.StartsWith("vendor_id", StringComparison.Ordinal) || l.StartsWith("cpu family", StringComparison.Ordinal)
                    || l.StartsWith("model", StringComparison.Ordinal) || l.StartsWith("flags", StringComparison.Ordinal)
                    || l.StartsWith("Features", StringComparison.Ordinal) || l.StartsWith("CPU ", StringComparison.Ordinal));
            string text = string.Join('\n', block);
            return text.Length == 0 ? null : ContentHash.Of(Encoding.UTF8.GetBytes(text)).Hex;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
