using Zccache.Core.Storage;

namespace Zccache.Core.Tests;

/// <summary>Files the cache creates once (session.json, final.json, claims): one creator wins, and the file is never seen torn.</summary>
public class AtomicFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Of_racing_creators_exactly_one_wins_and_readers_never_see_part_of_the_file()
    {
        string path = _dir["session/final.json"];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        const int creators = 6, size = 8 << 20; // large enough that writing it in place would be seen half done
        var torn = new List<string>();
        using var reading = new ManualResetEventSlim();
        bool done = false;
        var reader = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                reading.Set();
                byte[] seen;
                try { seen = File.ReadAllBytes(path); }
                catch (IOException) { continue; } // not there yet
                if (seen.Length != size || seen.Any(b => b != seen[0])) lock (torn) torn.Add($"{seen.Length} bytes");
            }
        })
        { IsBackground = true };
        reader.Start();
        reading.Wait(); // the reader is looking before the first creator starts

        var won = new bool[creators];
        try
        {
            Parallel.For(0, creators, new ParallelOptions { MaxDegreeOfParallelism = creators },
                i => won[i] = AtomicFile.TryCreateNew(path, Enumerable.Repeat((byte)('a' + i), size).ToArray()));
        }
        finally
        {
            Volatile.Write(ref done, true);
            reader.Join();
        }

        Assert.Single(won, w => w);
        byte[] final = File.ReadAllBytes(path);
        Assert.Equal(size, final.Length);
        Assert.Equal((byte)('a' + Array.IndexOf(won, true)), final[0]);
        Assert.Empty(torn);
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind
    }

    [Fact]
    public void A_temporary_file_left_beside_does_not_take_the_name_and_an_existing_file_is_kept()
    {
        string path = _dir["session/session.json"];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText($"{path}.99999.0123456789abcdef0123456789abcdef.tmp", "{\"sessi"); // killed mid-write

        Assert.True(AtomicFile.TryCreateNew(path, "{\"session\":1}"u8));
        Assert.False(AtomicFile.TryCreateNew(path, "{\"session\":2}"u8));
        Assert.Equal("{\"session\":1}", File.ReadAllText(path));
    }
}
