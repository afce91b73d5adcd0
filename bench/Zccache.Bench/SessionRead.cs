using System.Diagnostics;
using System.Globalization;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Bench;

/// <summary>
/// What adding up a session costs (<see cref="SessionFolder.Aggregate"/>: every outcome line parsed),
/// for a build of 1000 compiles. Until issue 18 every project's compile task did it once more.
/// Usage: dotnet run --project bench/Zccache.Bench -c Release -- session [compiles]
/// </summary>
public static class SessionRead
{
    public static void Run(string[] args)
    {
        int compiles = args.FirstOrDefault(a => a.All(char.IsAsciiDigit)) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 1000;
        string root = Path.Join(Path.GetTempPath(), "zccache-bench-session-" + Environment.ProcessId);
        try
        {
            var layout = new CacheLayout(root);
            layout.EnsureCreated();
            var folder = new SessionFolder(layout, SessionId.New());
            folder.EnsureCreated(Environment.ProcessId, false, root);
            for (int i = 0; i < compiles; i++)
                folder.Append(new CompileOutcome
                {
                    Kind = OutcomeKind.Hit, Source = $"/src/p{i % 20:D2}/f{i:D4}.c",
                    Project = $"/src/p{i % 20:D2}/p.csproj", ContextKey = new string('a', 64), LatencyNs = 800_000, OriginalNs = 30_000_000,
                    Bytes = 30_000
                });
            folder.Aggregate(); // JIT
            var times = Enumerable.Range(0, 15)
                .Select(_ => { var w = Stopwatch.StartNew(); folder.Aggregate(); return w.Elapsed.TotalMilliseconds; }).Order().ToList();
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "adding up a session of {0} compiles: {1:0.00} ms (median of 15); "
                + "a solution of 20 projects did it 21 times before, once now",
                compiles, times[7]));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
