using System.Diagnostics;
using System.Globalization;
using Zccache.Core.Compilers;
using Zccache.Core.Pipeline;

namespace Zccache.Bench;

/// <summary>
/// What the first hit of a process costs beyond a later one, in phases: opening the cache, the
/// first hit, a second hit (another source), each in a new process whose start-up is not counted.
/// Usage: dotnet run --project bench/Zccache.Bench -c Release -- firsthit [runs]
/// </summary>
public static class FirstHit
{
    public static void Run(string[] args)
    {
        if (args.FirstOrDefault() == "--child") { Child(args[1], args[2] == "fill"); return; }
        int runs = args.FirstOrDefault(a => a.All(char.IsAsciiDigit)) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 9;
        string dir = Path.Join(Path.GetTempPath(), "zccache-bench-firsthit-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        try
        {
            foreach (string name in new[] { "a", "b" })
                File.WriteAllText(Path.Join(dir, name + ".c"),
                    $"#include <stdio.h>\n#include <string.h>\nint {name}(const char *s) {{ return (int)strlen(s); }}\n");
            ChildProcess.Times("firsthit", "--child", dir, "fill");
            var rows = Enumerable.Range(0, runs).Select(_ => ChildProcess.Times("firsthit", "--child", dir, "measure")).ToList();
            Console.WriteLine($"| phase (new process, median of {runs}) | ms |");
            Console.WriteLine("| --- | ---: |");
            string[] names = ["entering Main (runtime start-up, not counted below)", "opening the cache (CompileCache.Open)",
                "the compiler's identity (memoised on disk)", "first hit (identity known)", "second hit (another source)"];
            for (int i = 0; i < names.Length; i++)
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:0.0} |", names[i],
                    rows.Select(r => r[i]).Order().ElementAt(runs / 2)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Child(string dir, bool fill)
    {
        double sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        var watch = Stopwatch.StartNew();
        var cache = CompileCache.Open(Path.Join(dir, "cache"));
        double open = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        CompilerIdentity.Identify(CompilerIdentity.Resolve("gcc", dir)!, Core.Hashing.FileHashMemo.Shared, cache.Layout);
        double identity = watch.Elapsed.TotalMilliseconds;
        double Hit(string name)
        {
            File.Delete(Path.Join(dir, name + ".o"));
            var w = Stopwatch.StartNew();
            var r = cache.Compile(new CompileInvocation
            {
                Compiler = "gcc", Arguments = ["-c", name + ".c", "-o", name + ".o"],
                WorkingDirectory = dir
            });
            if (!fill && r.Outcome.Kind != Core.Sessions.OutcomeKind.Hit)
                throw new InvalidOperationException($"{name}: not a hit ({r.Outcome.Kind})");
            return w.Elapsed.TotalMilliseconds;
        }
        double first = Hit("a"), second = Hit("b");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sinceStart} {open} {identity} {first} {second}"));
    }
}
