using System.Diagnostics;
using System.Globalization;
using Zccache.Testing;

namespace Zccache.Bench;

/// <summary>
/// 1000 warm compiles as one project and as a solution of 20 projects × 50, and a no-change build
/// with and without the package, side by side. A warm build's cost per compile is its wall time
/// beyond the same build without native sources, divided by the compiles. The sources are small C
/// files: what is measured is the package's cost, not the compiler's.
/// Usage: dotnet run --project bench/Zccache.Bench -c Release -- solution [runs] [--one-node]
/// With --one-node every build runs with -m:1: the package's task times then never overlap (with two nodes on two cores,
/// two projects' tasks run at once and each one's wall time counts the other's CPU too).
/// </summary>
public static class Solution
{
    private const int Projects = 20, PerProject = 50;

    public static void Run(string[] args)
    {
        int runs = args.FirstOrDefault(a => a.All(char.IsAsciiDigit)) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 3;
        string[] nodes = args.Contains("--one-node") ? ["-m:1"] : [];
        using var feed = PackageFeed.For("bench-sln");
        using var ws = new Workspace(feed, "sln");
        string items = """
            <ItemGroup>
              <ClCompile Condition="'$(ZccacheBenchNoSources)' != 'true'" Include="src/*.c" />
            </ItemGroup>
            """;
        for (int i = 0; i < Projects * PerProject; i++) ws.Write($"one/src/f{i:D4}.c", Source(i));
        ws.Project("one/one.csproj", items);
        for (int p = 0; p < Projects; p++)
        {
            for (int i = 0; i < PerProject; i++) ws.Write($"p{p:D2}/src/f{i:D4}.c", Source(p * PerProject + i));
            ws.Project($"p{p:D2}/p{p:D2}.csproj", items);
        }
        Check(Dotnet.Run(ws.Root, ["new", "sln", "-n", "all", "--format", "sln"], new()), "new sln");
        Check(Dotnet.Run(ws.Root, ["sln", "all.sln", "add", .. Enumerable.Range(0, Projects).Select(p => $"p{p:D2}/p{p:D2}.csproj")],
            new()), "sln add");
        var env = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = feed.Packages, ["ZCCACHE_CACHE_DIR"] = ws.CacheDir };
        foreach (string target in new[] { "one/one.csproj", "all.sln" }) Check(Dotnet.Run(ws.Root, ["restore", target], env), "restore");

        Console.WriteLine($"1000 warm compiles, one project against a solution of {Projects} × {PerProject}; "
            + $"best of {runs} ({Environment.ProcessorCount} cores{(nodes.Length > 0 ? ", one node" : "")})");
        Console.WriteLine();
        Console.WriteLine("| shape | no native sources (s) | warm, obj deleted (s) | hits | per compile (ms) "
            + "| package's tasks per compile (ms) | no-change (s) | no-change, no native sources (s) "
            + "| the same, ZccacheEnabled=false (s) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var breakdown = new List<string>();
        foreach (var (name, target, objects) in new[] { ("one project × 1000", "one/one.csproj", new[] { "one/obj" }),
            ($"solution {Projects} × {PerProject}", "all.sln", Enumerable.Range(0, Projects).Select(p => $"p{p:D2}/obj").ToArray()) })
        {
            double taskMs = 0;
            string taskLines = "";
            double Build(bool deleteObjects, params string[] extra)
            {
                if (deleteObjects) foreach (string o in objects) ws.Delete(o + "/Debug");
                var watch = Stopwatch.StartNew();
                var r = ws.Run(["build", target, "--no-restore", "-clp:PerformanceSummary", .. nodes, .. extra], env);
                double s = watch.Elapsed.TotalSeconds;
                Check(new ProcessOutput(r.ExitCode, r.Output), target);
                (taskMs, taskLines) = PackageTaskMs(r.Output);
                return s;
            }
            long Hits()
            {
                foreach (string o in objects) ws.Delete(o + "/Debug");
                return ws.Run(["build", target, "--no-restore", .. nodes], env).Stats?.Hits ?? -1;
            }
            Build(true); // cold: fills the cache
            long hits = Hits();
            double Best(Func<double> run) => Enumerable.Range(0, runs).Select(_ => run()).Min();
            double noSources = Best(() => Build(true, "-p:ZccacheBenchNoSources=true"));
            // The package's own time in a warm build: every Zccache task's total from MSBuild's performance summary, which
            // the C# compiles of 20 projects on a shared machine do not blur as they blur the wall time.
            var warmTaskMs = new List<double>();
            double warm = Best(() =>
            {
                double s = Build(true);
                warmTaskMs.Add(taskMs);
                return s;
            });
            string warmTasks = taskLines;
            Build(false);
            double noChange = Best(() => Build(false));
            // The package's fixed cost: a no-change build without native sources, with the package on and off.
            Build(false, "-p:ZccacheBenchNoSources=true");
            double fixedOn = Best(() => Build(false, "-p:ZccacheBenchNoSources=true"));
            Build(false, "-p:ZccacheBenchNoSources=true", "-p:ZccacheEnabled=false");
            double fixedOff = Best(() => Build(false, "-p:ZccacheBenchNoSources=true", "-p:ZccacheEnabled=false"));
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "| {0} | {1:0.00} | {2:0.00} | {3} | {4:0.00} | {5:0.00} | {6:0.00} | {7:0.00} | {8:0.00} |",
                name, noSources, warm, hits, (warm - noSources) * 1000 / (Projects * PerProject),
                warmTaskMs.Min() / (Projects * PerProject), noChange, fixedOn, fixedOff));
            breakdown.Add($"{name}, the package's tasks in the last warm build: {warmTasks}");
        }
        Console.WriteLine();
        foreach (string line in breakdown) Console.WriteLine(line);
    }

    /// <summary>
    /// The Zccache tasks' total time in a build's "Task Performance Summary" (lines "  123 ms  ZccacheCompile  20 calls"),
    /// and each task's.
    /// </summary>
    private static (double Total, string Tasks) PackageTaskMs(string output)
    {
        int summary = output.LastIndexOf("Task Performance Summary:", StringComparison.Ordinal);
        if (summary < 0) return (double.NaN, "");
        double total = 0;
        var tasks = new List<string>();
        foreach (string line in output[summary..].Split('\n'))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is [var ms, "ms", var task, ..] && task.StartsWith("Zccache", StringComparison.Ordinal)
                && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            {
                total += v;
                tasks.Add($"{task} {v:0} ms ({string.Join(' ', words.Skip(3))})");
            }
        }
        return (total, string.Join(", ", tasks));
    }

    private static string Source(int i) => $$"""
        #include <string.h>
        int f{{i}}(const char *s) { return (int)strlen(s) * {{i}} + 1; }
        """;

    private static void Check(ProcessOutput r, string what)
    {
        if (r.ExitCode != 0) throw new InvalidOperationException($"{what} failed:\n{r.Output}");
    }
}
