using System.Diagnostics;
using System.Globalization;

namespace Zccache.Bench;

/// <summary>A bench's measurement in a new process (as a build's is): this program run again, its times read back.</summary>
public static class ChildProcess
{
    /// <summary>Runs the bench with <paramref name="arguments"/>; the numbers it prints on one line, separated by spaces.</summary>
    public static double[] Times(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException(output);
        return [.. output.Trim().Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture))];
    }
}
