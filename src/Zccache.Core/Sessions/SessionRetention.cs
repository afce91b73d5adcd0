using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>
/// How many ended sessions a cache keeps in <c>sessions/</c>: <c>ZccacheSessionsKept</c> /
/// <c>ZCCACHE_SESSIONS_KEPT</c> (read by <see cref="Configuration.ZccacheSettings"/>),
/// else <see cref="DefaultKept"/>. A build's start removes the ended
/// sessions beyond that many, least recently ended first, in batches (<see cref="RemoveEnded"/>); their finalized stats are added to
/// <c>sessions/retired.jsonl</c> (one line each), so <c>zccache status</c>'s lifetime totals stay whole.
/// Sessions not ended (running, or explicit and still open) are never removed; the reaper ends abandoned ones.
/// <para>
/// retired.jsonl is folded so that it stays small: past <see cref="FoldAbove"/> bytes a build start sets it aside as
/// <c>retired.&lt;unix seconds&gt;.&lt;id&gt;.closing</c> (builds appending then still write into it; later ones start a
/// new retired.jsonl), and the first build start that retires a session <see cref="FoldAfter"/> or more later, when no
/// append can still be on its way, adds it up into one line, <c>retired.&lt;…&gt;.total</c> (written whole or not at
/// all), and deletes it. A closing file is counted until its total exists, never after.
/// </para>
/// </summary>
public static class SessionRetention
{
    public const int DefaultKept = 50;
    private const string RetiredFile = "retired.jsonl";
    internal const long FoldAbove = 256 * 1024; // ~600 sessions
    internal static readonly TimeSpan FoldAfter = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Removes the ended sessions beyond the <paramref name="kept"/> most recently ended, once there are more than
    /// <paramref name="kept"/> + <see cref="Slack"/> of them; returns how many went. In batches (with 50 kept, six sessions
    /// every sixth build), so most build starts retire nothing: each retirement sorts, reads its stats and deletes a folder.
    /// </summary>
    public static int RemoveEnded(CacheLayout layout, int kept)
    {
        if (!Directory.Exists(layout.Sessions)) return 0;
        var ended = new List<FileInfo>(); // each ended session's final.json (its time is the session's end)
        foreach (var dir in new DirectoryInfo(layout.Sessions).EnumerateDirectories())
        {
            if (!SessionId.TryParse(dir.Name, out _))
            {
                // A removal interrupted by a killed process.
                if (dir.Name.Contains(".retiring.", StringComparison.Ordinal)
                    && DateTime.UtcNow - dir.LastWriteTimeUtc > TimeSpan.FromMinutes(10))
                    LocalStore.RemoveDirectory(dir.FullName);
                continue;
            }
            var final = new FileInfo(Path.Join(dir.FullName, SessionFolder.FinalFileName));
            if (final.Exists) ended.Add(final);
        }
        if (ended.Count <= kept + Slack(kept)) return 0;
        // Most recently ended first; sessions ended in the same clock tick by folder name, so every build keeps the same ones.
        ended.Sort((a, b) => b.LastWriteTimeUtc.CompareTo(a.LastWriteTimeUtc) is var byTime and not 0 ? byTime
            : string.CompareOrdinal(a.DirectoryName, b.DirectoryName));
        int removed = 0;
        foreach (var final in ended.Skip(kept))
        {
            string dir = final.DirectoryName!;
            // The rename claims the session: of builds starting at once, one retires it.
            string retiring = dir + ".retiring." + Guid.NewGuid().ToString("N");
            try { Directory.Move(dir, retiring); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (JsonText.TryReadFile(Path.Join(retiring, SessionFolder.FinalFileName), FinalizedSessionStats.FromJson) is { } stats)
            {
                try { AppendOnlyFile.Append(Path.Join(layout.Sessions, RetiredFile), [.. stats.ToJson(), (byte)'\n']); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // its totals are lost, not the build
            }
            LocalStore.RemoveDirectory(retiring);
            removed++;
        }
        if (removed > 0) FoldRetired(layout, DateTimeOffset.UtcNow);
        return removed;
    }

    /// <summary>How many ended sessions beyond the kept ones wait for the next batch: a tenth of them.</summary>
    internal static int Slack(int kept) => kept / 10;

    /// <summary>Sets retired.jsonl aside once it is large, and adds up what was set aside long enough ago.</summary>
    internal static void FoldRetired(CacheLayout layout, DateTimeOffset now)
    {
        try
        {
            string retired = Path.Join(layout.Sessions, RetiredFile);
            if (new FileInfo(retired) is { Exists: true, Length: > FoldAbove })
                File.Move(retired, Path.Join(layout.Sessions, $"retired.{now.ToUnixTimeSeconds()}.{Guid.NewGuid():N}.closing"));
            foreach (string closing in Directory.EnumerateFiles(layout.Sessions, "retired.*.closing"))
            {
                if (!long.TryParse(Path.GetFileName(closing).Split('.')[1], out long setAside)
                    || now - DateTimeOffset.FromUnixTimeSeconds(setAside) < FoldAfter) continue;
                // The total is written beside and renamed in, so a total that exists is whole. A build folding the same file
                // at the same moment read the same settled lines and writes the same total; one that finds the file gone
                // (folded meanwhile) stops at the read.
                string total = Path.ChangeExtension(closing, ".total");
                if (!File.Exists(total)) AtomicFile.Write(total, FinalizedSessionStats.Sum(Parse(File.ReadAllLines(closing))).ToJson());
                File.Delete(closing);
            }
        }
        // Another build setting it aside or folding it at the same moment, or a cache being cleared: next time.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The finalized stats of every session removed so far: a line per session, or per folded file (its
    /// <see cref="FinalizedSessionStats.Sessions"/> says how many). A fold running meanwhile can make one reading short
    /// or long by a folded file; nothing is lost.
    /// </summary>
    public static IEnumerable<FinalizedSessionStats> ReadRetired(CacheLayout layout)
    {
        if (!Directory.Exists(layout.Sessions)) return [];
        var files = Directory.EnumerateFiles(layout.Sessions, "retired.*")
            .Where(f => f.EndsWith(".total", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal)
                || (f.EndsWith(".closing", StringComparison.Ordinal) && !File.Exists(Path.ChangeExtension(f, ".total"))));
        return [.. files.SelectMany(ReadLines)];
    }

    private static IEnumerable<FinalizedSessionStats> ReadLines(string file)
    {
        try { return Parse(File.ReadAllLines(file)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; } // folded meanwhile
    }

    // A line that does not read is a torn one (a writer killed mid-line): skipped.
    private static List<FinalizedSessionStats> Parse(string[] lines) =>
        [.. lines.Select(l => JsonText.TryParse(l, FinalizedSessionStats.FromJson)).OfType<FinalizedSessionStats>()];
}
