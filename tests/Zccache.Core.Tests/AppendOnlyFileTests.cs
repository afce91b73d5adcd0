using System.Text;
using Zccache.Core.Storage;

namespace Zccache.Core.Tests;

/// <summary>Many writers appending to one file at once (the compile journal): no record lost, none torn.</summary>
public class AppendOnlyFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Concurrent_writers_lose_and_tear_no_record()
    {
        string path = _dir["journal/session.jsonl"];
        const int writers = 8, perWriter = 400;
        // Records of different lengths, so two writers at one offset would leave a visible tear.
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            for (int i = 0; i < perWriter; i++)
                AppendOnlyFile.Append(path,
                    Encoding.UTF8.GetBytes($"{{\"writer\":{w},\"n\":{i},\"pad\":\"{new string('x', (w * 37 + i) % 300)}\"}}\n"));
        });

        string[] lines = File.ReadAllLines(path);
        Assert.Equal(writers * perWriter, lines.Length);
        var seen = new HashSet<(int, int)>();
        foreach (string line in lines)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            int w = doc.RootElement.GetProperty("writer").GetInt32(), n = doc.RootElement.GetProperty("n").GetInt32();
            Assert.Equal((w * 37 + n) % 300, doc.RootElement.GetProperty("pad").GetString()!.Length);
            Assert.True(seen.Add((w, n)));
        }
    }

    [Fact]
    public void Appending_keeps_what_is_there_and_creates_the_folder()
    {
        string path = _dir["a/b/c.jsonl"];
        AppendOnlyFile.Append(path, "one\n"u8);
        AppendOnlyFile.Append(path, "two\n"u8);
        Assert.Equal("one\ntwo\n", File.ReadAllText(path));
    }
}
