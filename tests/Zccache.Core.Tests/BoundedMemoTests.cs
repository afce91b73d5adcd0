using Zccache.Core.Hashing;

namespace Zccache.Core.Tests;

/// <summary>
/// The process-wide memos (file hashes, folder listings, compiler identities, include scans) live as long as the resident
/// server or a reused MSBuild node: they hold two generations at most, and keep what is still asked for.
/// </summary>
public class BoundedMemoTests
{
    [Fact]
    public void Holds_at_most_two_generations_however_many_keys_it_is_given()
    {
        var memo = new BoundedMemo<string>(100);
        for (int i = 0; i < 1000; i++) memo.Set($"k{i}", $"v{i}");
        Assert.Equal(100, memo.Count); // the 1000th filled a generation: a new one began, empty, the full one kept
        for (int i = 1000; i < 1050; i++) memo.Set($"k{i}", $"v{i}");
        Assert.Equal(150, memo.Count);
        Assert.False(memo.TryGetValue("k0", out _));
        Assert.True(memo.TryGetValue("k950", out var v) && v == "v950"); // the old generation still answers
    }

    [Fact]
    public void An_entry_asked_for_again_before_a_generation_of_others_survives_every_rotation()
    {
        var memo = new BoundedMemo<string>(10);
        memo.Set("hot", "h");
        for (int round = 0; round < 100; round++)
        {
            // Fewer others than a generation holds between two looks: the entry is in one generation or the other.
            for (int i = 0; i < 9; i++) memo.Set($"r{round}-{i}", "x");
            Assert.True(memo.TryGetValue("hot", out var v), $"round {round}");
            Assert.Equal("h", v);
        }
        Assert.True(memo.Count <= 20);
    }

    [Fact]
    public void An_entry_nobody_asks_for_during_two_generations_is_forgotten()
    {
        var memo = new BoundedMemo<string>(10);
        memo.Set("cold", "c");
        for (int i = 0; i < 14; i++) memo.Set($"k{i}", "x");
        Assert.True(memo.TryGetValue("cold", out _)); // one rotation: in the old generation, and moved back by this look
        for (int i = 0; i < 40; i++) memo.Set($"m{i}", "x");
        Assert.False(memo.TryGetValue("cold", out _));
    }

    [Fact]
    public void Setting_a_key_again_replaces_its_value_and_takes_no_more_room()
    {
        var memo = new BoundedMemo<string>(4, StringComparer.OrdinalIgnoreCase);
        memo.Set("Key", "a");
        memo.Set("KEY", "b");
        Assert.True(memo.TryGetValue("key", out var v));
        Assert.Equal("b", v);
        Assert.Equal(1, memo.Count);
    }

    [Fact]
    public void Threads_using_it_at_once_get_only_the_values_set_for_their_keys_and_it_stays_bounded()
    {
        const int capacity = 256, threads = 8;
        var memo = new BoundedMemo<string>(capacity);
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var random = new Random(t);
            for (int i = 0; i < 20_000; i++)
            {
                string key = $"k{random.Next(5000)}";
                if (memo.TryGetValue(key, out var value) && value != "v" + key) wrong.Add($"{key}: {value}");
                else memo.Set(key, "v" + key);
            }
        });
        Assert.Empty(wrong);
        Assert.InRange(memo.Count, 1, 2 * (capacity + threads)); // each generation: its capacity, and one more per thread adding
    }
}
