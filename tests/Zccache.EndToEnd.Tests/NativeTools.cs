using System.Diagnostics;

namespace Zccache.EndToEnd.Tests;

/// <summary>LLVM's inspection tools (llvm-readobj, llvm-pdbutil, llvm-ar) and compilers run by a test, outside any build.</summary>
internal static class NativeTools
{
    /// <summary>Runs <paramref name="tool"/>; asserts it succeeded and returns what it printed.</summary>
    public static string Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd() + stderr.Result;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output);
        return output;
    }
}
