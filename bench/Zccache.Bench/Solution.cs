using System.Diagnostics;
using System.Globalization;
using Zccache.Testing;

namespace Zccache.Bench;

/// <summary>
/// 1000 warm compiles as one project and as a solution of 20 projects × 50, and a no-change build
/// with and without the package, side by side. A warm build's cost per compile is its wall time
/// beyond the same build without native sources, divided by the compiles. The sources are small C
/// files: what is measured is the package's cost, not the compiler's. Every figure is a median of the runs, and the two
/// shapes' warm builds alternate, so a ratio of the two compares builds that saw the same machine.
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
            + $"median of {runs}, the two shapes' warm builds interleaved ({Environment.ProcessorCount} cores"
            + $"{(nodes.Length > 0 ? ", one node" : "")})");
        Console.WriteLine();
        var shapes = new[]
        {
            new Shape("one project × 1000", "one/one.csproj", ["one/obj"]),
            new Shape($"solution {Projects} × {PerProject}", "all.sln", [.. Enumerable.Range(0, Projects).Select(p => $"p{p:D2}/obj")]),
        };
        int asides = 0;
        Directory.CreateDirectory(ws["aside"]);
        // A warm build starts without its objects. They are moved aside, not deleted: for each new file, ext4 scans past the
        // inodes freed in the last half minute (its recently_deleted check), so 1000 objects deleted just before a build
        // that writes 1000 made each hit cost 0.2-0.5 ms more, a different amount in every run. Moved, nothing is freed.
        void PutAside(Shape shape)
        {
            foreach (string o in shape.Objects)
                if (Directory.Exists(ws[o + "/Debug"])) Directory.Move(ws[o + "/Debug"], ws[$"aside/{asides++}"]);
        }
        (double Seconds, double TaskMs, string Tasks) Build(Shape shape, bool putAside, params string[] extra)
        {
            if (putAside) PutAside(shape);
            var watch = Stopwatch.StartNew();
            var r = ws.Run(["build", shape.Target, "--no-restore", "-clp:PerformanceSummary", .. nodes, .. extra], env);
            double s = watch.Elapsed.TotalSeconds;
            Check(new ProcessOutput(r.ExitCode, r.Output), shape.Target);
            var (taskMs, tasks) = PackageTaskMs(r.Output);
            return (s, taskMs, tasks);
        }
        double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }

        var hits = new Dictionary<Shape, long>();
        foreach (var shape in shapes)
        {
            Build(shape, putAside: true); // cold: fills the cache
            PutAside(shape);
            hits[shape] = ws.Run(["build", shape.Target, "--no-restore", .. nodes], env).Stats?.Hits ?? -1;
        }
        // The warm builds of the two shapes alternate, so that both see the same machine.
        var noSources = shapes.ToDictionary(s => s, _ => new List<double>());
        var warm = shapes.ToDictionary(s => s, _ => new List<(double Seconds, double TaskMs, string Tasks)>());
        for (int round = 0; round < runs; round++)
        {
            foreach (var shape in shapes)
            {
                noSources[shape].Add(Build(shape, putAside: true, "-p:ZccacheBenchNoSources=true").Seconds);
                warm[shape].Add(Build(shape, putAside: true));
            }
        }

        Console.WriteLine("| shape | no native sources (s) | warm, objects put aside (s) | hits | per compile (ms) "
            + "| package's tasks per compile (ms) | no-change (s) | no-change, no native sources (s) "
            + "| the same, ZccacheEnabled=false (s) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var perCompile = new Dictionary<Shape, double>();
        foreach (var shape in shapes)
        {
            Build(shape, putAside: false);
            double noChange = Median(Enumerable.Range(0, runs).Select(_ => Build(shape, putAside: false).Seconds));
            // The package's fixed cost: a no-change build without native sources, with the package on and off.
            Build(shape, putAside: false, "-p:ZccacheBenchNoSources=true");
            double fixedOn = Median(Enumerable.Range(0, runs).Select(_ => Build(shape, putAside: false, "-p:ZccacheBenchNoSources=true")
                .Seconds));
            Build(shape, putAside: false, "-p:ZccacheBenchNoSources=true", "-p:ZccacheEnabled=false");
            double fixedOff = Median(Enumerable.Range(0, runs).Select(_ => Build(shape, putAside: false, "-p:ZccacheBenchNoSources=true",
                "-p:ZccacheEnabled=false").Seconds));
            double warmSeconds = Median(warm[shape].Select(w => w.Seconds));
            perCompile[shape] = Median(warm[shape].Select(w => w.TaskMs)) / (Projects * PerProject);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "| {0} | {1:0.00} | {2:0.00} | {3} | {4:0.00} | {5:0.00} | {6:0.00} | {7:0.00} | {8:0.00} |",
                shape.Name, Median(noSources[shape]), warmSeconds, hits[shape], (warmSeconds - Median(noSources[shape])) * 1000
                / (Projects * PerProject), perCompile[shape], noChange, fixedOn, fixedOff));
        }
        Console.WriteLine();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "The package's tasks per compile, the solution against one project: {0:0.00}× (medians); round by round: {1}.",
            perCompile[shapes[1]] / perCompile[shapes[0]], string.Join(", ", Enumerable.Range(0, runs).Select(r =>
                (warm[shapes[1]][r].TaskMs / warm[shapes[0]][r].TaskMs).ToString("0.00×", CultureInfo.InvariantCulture)))));
        foreach (var shape in shapes)
            Console.WriteLine($"{shape.Name}, the package's tasks in the last warm build: {warm[shape][^1].Tasks}");
    }

    private sealed record Shape(string Name, string Target, string[] Objects);

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
