using System.Text.Json;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// The compile journal under concurrency: parallel compiles in one build, and many launcher processes in one session,
/// all append to one file. Every line must be there, whole, and add up to the stats.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class JournalConcurrencyTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "journal");

    public void Dispose() => _ws.Dispose();

    private static List<JsonElement> Lines(string journal) =>
        [.. File.ReadAllLines(journal).Select(l => JsonDocument.Parse(l).RootElement)]; // throws on a torn line

    private static void AssertAddsUp(IReadOnlyList<JsonElement> lines, Stats stats)
    {
        Assert.Equal(stats.Compilations, lines.Count);
        long Count(string outcome) => lines.Count(l => l.GetProperty("outcome").GetString() == outcome);
        Assert.Equal(stats.Hits, Count("hit"));
        Assert.Equal(stats.Misses, Count("miss"));
        Assert.Equal(stats.NonCacheable, Count("non_cacheable"));
        Assert.All(lines, l => Assert.Equal(stats.SessionId, l.GetProperty("session_id").GetString()));
    }

    [Fact]
    public void Two_hundred_parallel_compiles_give_two_hundred_whole_lines_in_each_of_three_builds()
    {
        for (int i = 0; i < 200; i++)
            _ws.Write($"app/native/s{i:D3}.c", $"int f{i}(int x) {{ return x * {i} + {i % 7}; }}\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/*.c" /></ItemGroup>""",
            "<ZccacheParallelism>4</ZccacheParallelism>");
        long[] expectedHits = [0, 200, 200];
        for (int build = 0; build < 3; build++)
        {
            if (build > 0) _ws.Delete("app/obj");
            string journal = _ws[$"journal-{build}.jsonl"];
            var r = _ws.Build("app/app.csproj", "-p:ZccacheJournal=" + journal);
            Assert.True(r.Succeeded, r.Output);
            Assert.Equal((200L, expectedHits[build]), (r.Stats!.Compilations, r.Stats.Hits));
            var lines = Lines(journal);
            AssertAddsUp(lines, r.Stats);
            Assert.Equal(200, lines.Select(l => l.GetProperty("source").GetString()).Distinct().Count());
        }
    }

    [Fact]
    public void Sixteen_launcher_processes_at_once_each_leave_one_whole_line()
    {
        string journal = _ws["launchers.jsonl"];
        var env = new Dictionary<string, string?> { ["ZCCACHE_CACHE_DIR"] = _ws.CacheDir, ["ZCCACHE_SESSION_ID"] = null };
        var start = Dotnet.Run(_ws.Root, ["session-start", "--journal", journal], env, feed.Launcher);
        Assert.True(start.ExitCode == 0, start.Output);
        env["ZCCACHE_SESSION_ID"] = start.Output.Trim();
        for (int i = 0; i < 16; i++) _ws.Write($"src/l{i:D2}.c", $"int l{i}(void) {{ return {i}; }}\n");

        void Wave() => Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            var r = Dotnet.Run(_ws.Root, ["gcc", "-c", $"src/l{i:D2}.c", "-o", $"out/l{i:D2}.o"], env, feed.Launcher);
            Assert.True(r.ExitCode == 0, r.Output);
        });
        Directory.CreateDirectory(_ws["out"]);
        Wave();              // 16 misses at once
        _ws.Delete("out");
        Directory.CreateDirectory(_ws["out"]);
        Wave();              // 16 hits at once

        var end = Dotnet.Run(_ws.Root, ["session-end", env["ZCCACHE_SESSION_ID"]!, "--json"], env, feed.Launcher);
        Assert.True(end.ExitCode == 0, end.Output);
        var stats = JsonDocument.Parse(end.Output).RootElement;
        Assert.Equal((32, 16, 16),
            (stats.GetProperty("compilations").GetInt32(), stats.GetProperty("hits").GetInt32(), stats.GetProperty("misses").GetInt32()));
        var lines = Lines(journal);
        Assert.Equal(32, lines.Count);
        Assert.Equal(16, lines.Count(l => l.GetProperty("outcome").GetString() == "hit"));
        Assert.Equal(16, lines.Count(l => l.GetProperty("outcome").GetString() == "miss"));
    }
}
