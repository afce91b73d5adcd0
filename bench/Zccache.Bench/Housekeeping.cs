using System.Diagnostics;
using System.Globalization;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Bench;

/// <summary>
/// What a build start costs in housekeeping (the work ZccacheStartSession does before the first
/// compile: reaping sessions, retiring ended ones, collecting leftovers; no trim, the stores keep the budget) against a small cache
/// and an aged one, side by side. The caches are synthesised: entries, manifests and ended sessions
/// written as files of the store's shape (their contents are not read by housekeeping).
/// Usage: dotnet run --project bench/Zccache.Bench -c Release -- housekeeping [runs]
/// </summary>
public static class Housekeeping
{
    public static void Run(string[] args)
    {
        int runs = args.FirstOrDefault(a => a.All(char.IsAsciiDigit)) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 9;
        string root = Path.Join(Path.GetTempPath(), "zccache-bench-housekeeping");
        // Both keep the default 50 ended sessions after the first run: the two differ in entries only.
        var caches = new[] { (Entries: 200, Sessions: 100), (Entries: 50_000, Sessions: 1_000) };
        Console.WriteLine($"Build-start housekeeping; median of {runs} runs after one first run "
            + "(the first retires old sessions once)");
        Console.WriteLine();
        Console.WriteLine("| cache | entries | session folders | first run (ms) | median (ms) | min (ms) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (entries, sessions) in caches)
        {
            var layout = new CacheLayout(Path.Join(root, $"{entries}"));
            if (Directory.Exists(layout.Root)) Directory.Delete(layout.Root, recursive: true);
            Synthesise(layout, entries, sessions);
            var times = new List<double>();
            for (int i = 0; i <= runs; i++)
            {
                var watch = Stopwatch.StartNew();
                AtBuildStart(layout);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            var steady = times.Skip(1).Order().ToList();
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} entries | {0} | {1} | {2:0.0} | {3:0.0} | {4:0.0} |",
                entries, sessions, times[0], steady[steady.Count / 2], steady[0]));
        }
    }

    /// <summary>What ZccacheStartSession does before the first compile.</summary>
    internal static void AtBuildStart(CacheLayout layout)
    {
        layout.EnsureCreated();
        BuildStart.Housekeeping(layout, SessionRetention.DefaultKept);
    }

    internal static void Synthesise(CacheLayout layout, int entries, int sessions)
    {
        Console.Error.WriteLine($"  synthesising a cache of {entries} entries in {layout.Root}");
        layout.EnsureCreated();
        var random = new Random(entries);
        byte[] obj = new byte[2_000], manifest = new byte[1_000];
        string Key() { var b = new byte[32]; random.NextBytes(b); return Convert.ToHexStringLower(b); }
        for (int i = 0; i < entries; i++)
        {
            string dir = layout.EntryDir(Key());
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Join(dir, "out.object"), obj);
            File.WriteAllBytes(Path.Join(dir, "meta"), manifest[..300]);
            string m = layout.ManifestFile(Key());
            Directory.CreateDirectory(Path.GetDirectoryName(m)!);
            File.WriteAllBytes(m, manifest);
        }
        for (int i = 0; i < sessions; i++)
        {
            var folder = new SessionFolder(layout, SessionId.New());
            folder.EnsureCreated(1, false, "/");
            File.WriteAllText(Path.Join(folder.Path, "outcomes", "1-a.jsonl"), "");
            folder.End();
        }
    }
}
