using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Zccache.Core.Diagnostics;

namespace Zccache.Core.Compilers;

/// <summary>
/// What a compiler run produced on its standard streams. <see cref="StartError"/> is set when it
/// could not run at all (not executable, argument list too long): the exit code is then the one a
/// shell gives (126, or 127 when the file is gone) and stderr says why, with <c>ZC3005</c>.
/// </summary>
public sealed record ProcessResult(int ExitCode, byte[] Stdout, byte[] Stderr, long DurationNs)
{
    public string? StartError { get; init; }
}

/// <summary>Runs a compiler with arguments passed as a list (no shell), capturing both streams as bytes.</summary>
public static class CompilerProcess
{
    /// <summary>
    /// The longest command line (response files expanded) the cache runs itself: gcc hands all of its
    /// options to its subprocesses in one environment variable, and Linux takes at most 128 KiB in one
    /// string (MAX_ARG_STRLEN). A longer call is run as it was written (response files and all), uncached.
    /// </summary>
    public const int MaxExpandedCommandLine = 128 * 1024 - 4096;

    /// <summary>True when the expanded arguments fit <see cref="MaxExpandedCommandLine"/> (as gcc quotes them: <c>'arg' </c>).</summary>
    public static bool FitsCommandLine(IEnumerable<string> arguments)
    {
        long total = 0;
        foreach (string a in arguments)
            if ((total += Encoding.UTF8.GetByteCount(a) + 3) > MaxExpandedCommandLine) return false;
        return true;
    }

    public static ProcessResult Run(string executable, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        if (environment is not null)
        {
            start.Environment.Clear();
            foreach (var (k, v) in environment) start.Environment[k] = v;
        }
        long t0 = Stopwatch.GetTimestamp();
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}"); }
        catch (Win32Exception e)
        {
            var (code, why) = ShellExit(e);
            return new ProcessResult(code, [],
                Encoding.UTF8.GetBytes($"zccache: error {ZcCodes.CompilerNotRunnable}: cannot run '{executable}': {why}\n"),
                (long)Stopwatch.GetElapsedTime(t0).TotalNanoseconds)
            { StartError = why };
        }
        using (process)
        {
            var stdout = new MemoryStream();
            var stderr = new MemoryStream();
            Task o = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            Task e = process.StandardError.BaseStream.CopyToAsync(stderr);
            process.WaitForExit();
            Task.WaitAll(o, e);
            long ns = (long)Stopwatch.GetElapsedTime(t0).TotalNanoseconds;
            return new ProcessResult(process.ExitCode, stdout.ToArray(), stderr.ToArray(), ns);
        }
    }

    /// <summary>Runs with this process's standard streams (stdin included);
    /// returns the exit code. For calls that are only passed through.</summary>
    public static int RunInheritingStreams(string executable, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(executable) { WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (Win32Exception e)
        {
            var (code, why) = ShellExit(e);
            Console.Error.WriteLine($"zccache: error {ZcCodes.CompilerNotRunnable}: cannot run '{executable}': {why}");
            return code;
        }
    }

    /// <summary>What a shell answers when exec fails: 127 when the file is gone, else 126; and why, as strerror says it.</summary>
    private static (int ExitCode, string Why) ShellExit(Win32Exception e) => e.NativeErrorCode switch
    {
        2 => (127, "No such file or directory"),
        7 => (126, "Argument list too long"),
        8 => (126, "Exec format error"),
        13 => (126, "Permission denied"),
        _ => (126, e.Message),
    };

    /// <summary>False when the file has no execute bit at all (a shell would say
    /// "Permission denied"): such a call is never served from the cache.</summary>
    public static bool IsExecutable(string path)
    {
        if (OperatingSystem.IsWindows()) return true;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        try { return (File.GetUnixFileMode(path) & anyExecute) != 0; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return true; } // running it will say what is wrong
    }

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
