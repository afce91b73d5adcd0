using System.Diagnostics;
using System.Globalization;
using Zccache.Core.Storage;

namespace Zccache.Bench;

/// <summary>
/// The store path in-process: what publishing an entry costs (a miss's storing), and what a hit's
/// reads cost, on this machine's disk. Usage: dotnet run --project bench/Zccache.Bench -c Release -- store [entries]
/// </summary>
public static class Store
{
    public static void Run(string[] args)
    {
        int count = args.FirstOrDefault(a => a.All(char.IsAsciiDigit)) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 300;
        string root = Path.Join(Path.GetTempPath(), "zccache-bench-store-" + Environment.ProcessId);
        try
        {
            var layout = new CacheLayout(root);
            layout.EnsureCreated();
            var store = new LocalStore(layout);
            var random = new Random(1);
            var keys = Enumerable.Range(0, count)
                .Select(_ => { var b = new byte[32]; random.NextBytes(b); return Convert.ToHexStringLower(b); }).ToList();
            byte[] obj = new byte[30_000];
            random.NextBytes(obj);
            var publish = Time(keys, k =>
                store.Publish(k, new CacheEntry { Outputs = [new("object", obj)], Stdout = [], Stderr = [], ExitCode = 0 }));
            var read = Time(keys, k => store.Read(k));
            // The parts, interleaved so that the machine's load hits them alike: a file written with
            // and without fsync (what a publication's durability would cost), and a shard counter update.
            var shards = new CacheShards(layout);
            var sync = new List<double>();
            var noSync = new List<double>();
            var counter = new List<double>();
            foreach (string k in keys)
            {
                sync.Add(Measure(() => WriteFile(Path.Join(layout.Staging, k + ".sync"), obj, durable: true)));
                noSync.Add(Measure(() => WriteFile(Path.Join(layout.Staging, k + ".nosync"), obj, durable: false)));
                counter.Add(Measure(() => shards.Change(k[..2], () => (0, (ShardUsage?)new ShardUsage()))));
            }
            Console.WriteLine($"| operation ({count} entries of 30 KB) | mean (ms) | p50 (ms) | p95 (ms) |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            Row("publish (a miss's store)", publish);
            Row("read (a hit's entry read and verification)", read);
            Row("30 KB file written, fsync", Sorted(sync));
            Row("30 KB file written, no fsync", Sorted(noSync));
            Row("shard counter update (lock, read, write)", Sorted(counter));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static double Measure(Action op)
    {
        var watch = Stopwatch.StartNew();
        op();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static List<double> Sorted(List<double> t)
    {
        t.Sort();
        return t;
    }

    private static void WriteFile(string path, byte[] data, bool durable)
    {
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        f.Write(data);
        if (durable) f.Flush(flushToDisk: true);
    }

    private static List<double> Time(List<string> keys, Action<string> op)
    {
        var times = new List<double>(keys.Count);
        foreach (string k in keys)
        {
            var watch = Stopwatch.StartNew();
            op(k);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times;
    }

    private static void Row(string name, List<double> t) => Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
        "| {0} | {1:0.000} | {2:0.000} | {3:0.000} |", name, t.Average(), t[t.Count / 2], t[(int)(t.Count * 0.95)]));
}
