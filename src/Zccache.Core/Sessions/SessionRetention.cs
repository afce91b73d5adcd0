using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>
/// How many ended sessions a cache keeps in <c>sessions/</c>: <c>ZccacheSessionsKept</c> /
/// <c>ZCCACHE_SESSIONS_KEPT</c> (read by <see cref="Configuration.ZccacheSettings"/>),
/// else <see cref="DefaultKept"/>. A build's start removes the ended
/// sessions beyond that many, least recently ended first; their finalized stats are added to
/// <c>sessions/retired.jsonl</c> (one line each), so <c>zccache status</c>'s lifetime totals stay whole.
/// Sessions not ended (running, or explicit and still open) are never removed; the reaper ends abandoned ones.
/// </summary>
public static class SessionRetention
{
    public const int DefaultKept = 50;
    private const string RetiredFile = "retired.jsonl";

    /// <summary>Removes the ended sessions beyond the <paramref name="kept"/> most recently ended; returns how many went.</summary>
    public static int RemoveEnded(CacheLayout layout, int kept)
    {
        if (!Directory.Exists(layout.Sessions)) return 0;
        var ended = new List<(string Dir, DateTime EndedUtc)>();
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
            if (final.Exists) ended.Add((dir.FullName, final.LastWriteTimeUtc));
        }
        int removed = 0;
        foreach (var (dir, _) in ended.OrderByDescending(e => e.EndedUtc).Skip(kept))
        {
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
        return removed;
    }

    /// <summary>The finalized stats of every session removed so far.</summary>
    public static IEnumerable<FinalizedSessionStats> ReadRetired(CacheLayout layout)
    {
        string path = Path.Join(layout.Sessions, RetiredFile);
        if (!File.Exists(path)) yield break;
        foreach (string line in File.ReadLines(path))
            if (JsonText.TryParse(line, FinalizedSessionStats.FromJson) is { } stats) yield return stats; // else a torn line
    }
}
