using System.Diagnostics;
using System.Text;

namespace Zccache.Core.Compilers;

/// <summary>What a compiler run produced on its standard streams.</summary>
public sealed record ProcessResult(int ExitCode, byte[] Stdout, byte[] Stderr, long DurationNs);

/// <summary>Runs a compiler with arguments passed as a list (no shell), capturing both streams as bytes.</summary>
public static class CompilerProcess
{
    public static ProcessResult Run(string executable, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
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
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        Task o = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task e = process.StandardError.BaseStream.CopyToAsync(stderr);
        process.WaitForExit();
        Task.WaitAll(o, e);
        long ns = (long)Stopwatch.GetElapsedTime(t0).TotalNanoseconds;
        return new ProcessResult(process.ExitCode, stdout.ToArray(), stderr.ToArray(), ns);
    }

    /// <summary>Runs with this process's standard streams (stdin included); returns the exit code. For calls that are only passed through.</summary>
    public static int RunInheritingStreams(string executable, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(executable) { WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        process.WaitForExit();
        return process.ExitCode;
    }

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
