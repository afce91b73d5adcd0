using System.Collections.Concurrent;

namespace Zccache.Core.Hashing;

/// <summary>
/// Answers "does this path exist?" for many paths under a few directories cheaply: each
/// directory's entry names are read once and reused while the directory's mtime is unchanged
/// (adding or removing an entry changes it). Direct mode uses it to notice a new header that
/// would shadow a recorded one.
/// </summary>
public sealed class DirectoryListingMemo
{
    public static readonly DirectoryListingMemo Shared = new();

    private readonly ConcurrentDictionary<string, (DateTime Mtime, HashSet<string> Names)> _listings = new();

    /// <summary>
    /// A scope in which each directory is looked at once: the inputs of one batch of compiles
    /// (one task execution) are taken not to change while it runs. Thread-safe.
    /// </summary>
    public Scope Begin() => new(this);

    public sealed class Scope(DirectoryListingMemo memo)
    {
        private readonly Dictionary<string, HashSet<string>?> _seen = new();

        /// <summary>True when <paramref name="name"/> is an entry of <paramref name="directory"/>.</summary>
        public bool Exists(string directory, string name)
        {
            HashSet<string>? names;
            lock (_seen) names = Listing(directory);
            return names is not null && names.Contains(name);
        }

        private HashSet<string>? Listing(string dir)
        {
            if (_seen.TryGetValue(dir, out var known)) return known;
            // One stat of the folder itself; its ancestors are never listed (they can be huge, like /tmp).
            HashSet<string>? result = memo.Read(dir);
            _seen[dir] = result;
            return result;
        }
    }

    private HashSet<string>? Read(string dir)
    {
        DateTime mtime;
        try
        {
            if (!Directory.Exists(dir)) return null;
            mtime = Directory.GetLastWriteTimeUtc(dir);
        }
        catch (IOException) { return null; }
        if (_listings.TryGetValue(dir, out var cached) && cached.Mtime == mtime) return cached.Names;
        HashSet<string> names;
        try
        {
            names = new HashSet<string>(Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>(),
            Paths.NormalizedPath.Comparer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // A directory changed within the racy window may change again inside the same mtime tick.
        if (DateTime.UtcNow - mtime > FileHashMemo.RacyWindow) _listings[dir] = (mtime, names);
        return names;
    }
}
