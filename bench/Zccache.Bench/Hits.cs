using System.Diagnostics;
using System.Globalization;
using Zccache.Core.Compilers;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Bench;

/// <summary>
/// A build's fixed cost (the build-start housekeeping) and the cost of each hit, at 200 and 5000 sources, against a cache
/// of 200 synthesised entries and one of 50 000 (issue 18). The sources are small C files with two system headers; each
/// cache is filled with them (misses), then a new process, as a build is, compiles every one again with its object
/// deleted: the hits, timed one by one.
/// Usage: dotnet run --project bench/Zccache.Bench -c Release -- hits [sources ...]   (default 200 5000; ~6 minutes)
/// </summary>
public static class Hits
{
    public static void Run(string[] args)
    {
        if (args.FirstOrDefault() == "--child") { Child(args[1], args[2]); return; }
        int[] counts = [.. args.Where(a => a.All(char.IsAsciiDigit)).Select(a => int.Parse(a, CultureInfo.InvariantCulture))];
        if (counts.Length == 0) counts = [200, 5000];
        string root = Path.Join(Path.GetTempPath(), "zccache-bench-hits-" + Environment.ProcessId);
        try
        {
            Console.WriteLine("| cache | sources | entries before the hits | housekeeping, new process (ms) | first hit (ms) "
                + "| hit mean (ms) | hit median (ms) | hit p95 (ms) |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (int synthesised in new[] { 200, 50_000 })
            {
                string cache = Path.Join(root, $"cache-{synthesised}");
                Housekeeping.Synthesise(new CacheLayout(cache), synthesised, sessions: 100);
                foreach (int sources in counts)
                {
                    string src = Path.Join(root, $"src-{synthesised}-{sources}");
                    Fill(cache, src, sources);
                    string entriesDir = new CacheLayout(cache).Entries;
                    int entries = Directory.EnumerateDirectories(entriesDir).Sum(shard => Directory.EnumerateDirectories(shard).Count());
                    // Old sessions retired once beforehand (the synthesised ones: a first run's work), so every row's process
                    // does what a build start does from then on.
                    Housekeeping.AtBuildStart(new CacheLayout(cache));
                    var t = ChildProcess.Times("hits", "--child", cache, src);
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                        "| {0} synthesised | {1} | {2} | {3:0.0} | {4:0.0} | {5:0.000} | {6:0.000} | {7:0.000} |",
                        synthesised, sources, entries, t[0], t[1], t[2], t[3], t[4]));
                }
            }
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Writes the sources and compiles each once into the cache (misses), two at a time.</summary>
    private static void Fill(string cacheRoot, string src, int sources)
    {
        Console.Error.WriteLine($"  filling {cacheRoot} with {sources} sources");
        Directory.CreateDirectory(src);
        for (int i = 0; i < sources; i++)
            File.WriteAllText(Path.Join(src, $"s{i}.c"),
                $"#include <stdio.h>\n#include <string.h>\nint f{i}(const char *s) {{ return (int)strlen(s) + {i}; }}\n");
        var cache = CompileCache.Open(cacheRoot);
        // Settled sources: a file written moments ago is not trusted by its stamp, which would make every compile hash it.
        foreach (string f in Directory.EnumerateFiles(src)) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(-1));
        Parallel.For(0, sources, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => Compile(cache, src, i));
    }

    private static CompileResult Compile(CompileCache cache, string src, int i) => cache.Compile(new CompileInvocation
    {
        Compiler = "gcc", Arguments = ["-c", $"s{i}.c", "-o", $"s{i}.o"], WorkingDirectory = src,
    });

    /// <summary>A build's process: the housekeeping, then every source a hit (its object deleted first).</summary>
    private static void Child(string cacheRoot, string src)
    {
        var watch = Stopwatch.StartNew();
        Housekeeping.AtBuildStart(new CacheLayout(cacheRoot));
        double housekeeping = watch.Elapsed.TotalMilliseconds;
        var cache = CompileCache.Open(cacheRoot);
        int sources = Directory.EnumerateFiles(src, "*.c").Count();
        var hits = new List<double>(sources);
        for (int i = 0; i < sources; i++)
        {
            File.Delete(Path.Join(src, $"s{i}.o"));
            watch.Restart();
            var r = Compile(cache, src, i);
            hits.Add(watch.Elapsed.TotalMilliseconds);
            if (r.Outcome.Kind != OutcomeKind.Hit) throw new InvalidOperationException($"s{i}.c: not a hit ({r.Outcome.Kind})");
        }
        var sorted = hits.Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{housekeeping} {hits[0]} {hits.Average()} {sorted[sorted.Count / 2]} {sorted[(int)(sorted.Count * 0.95)]}"));
    }
}
