using System.Collections.Concurrent;

namespace Zccache.Core.Hashing;

/// <summary>
/// Answers "does this path exist?" for many paths under a few directories cheaply: each
/// directory's entry names are read once and reused while the directory's stamp is unchanged
/// (adding or removing an entry changes it). Direct mode uses it to notice a new header that
/// would shadow a recorded one; PATH searches ask it about a few names in big folders.
/// </summary>
public sealed class DirectoryListingMemo
{
    public static readonly DirectoryListingMemo Shared = new();

    // Include folders (listed whole) and PATH folders (names looked at one by one) a long-lived process keeps.
    private readonly BoundedMemo<Stamped<HashSet<string>>> _listings = new(1 << 12);
    private readonly BoundedMemo<Stamped<ConcurrentDictionary<string, bool>>> _entries = new(1 << 10);

    /// <summary>
    /// A scope in which each directory is looked at once: the inputs of one batch of compiles
    /// (one task execution) are taken not to change while it runs. Thread-safe.
    /// </summary>
    public Scope Begin() => new(this);

    public sealed class Scope(DirectoryListingMemo memo)
    {
        private readonly Dictionary<string, HashSet<string>?> _seen = new();

        private readonly Dictionary<string, ConcurrentDictionary<string, bool>?> _entries = new();

        /// <summary>True when <paramref name="name"/> is an entry of <paramref name="directory"/>.</summary>
        public bool Exists(string directory, string name)
        {
            HashSet<string>? names;
            lock (_seen) names = Listing(directory);
            return names is not null && names.Contains(name);
        }

        /// <summary>
        /// Whether <paramref name="directory"/> has an entry named <paramref name="name"/> (a dangling symbolic link
        /// counts), for a few names in big folders (PATH's): the folder is not listed, each name is looked at once and
        /// the answer kept while the folder's stamp stands. Null when that cannot be told (a folder changed within the
        /// racy window): look at the path itself.
        /// </summary>
        public bool? HasEntry(string directory, string name)
        {
            ConcurrentDictionary<string, bool>? names;
            lock (_entries)
            {
                if (!_entries.TryGetValue(directory, out names))
                    _entries[directory] = names = memo.EntriesOf(directory);
            }
            return names?.GetOrAdd(name, n => FileStamp.EntryExists(Path.Join(directory, n)));
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

    /// <summary>The names looked at in <paramref name="dir"/> so far, kept under its current stamp; null: not a settled folder.</summary>
    private ConcurrentDictionary<string, bool>? EntriesOf(string dir)
    {
        if (FileStamp.ReadFolder(dir) is not { } stamp || !FileHashMemo.IsSettled(stamp)) return null;
        if (_entries.TryGetValue(dir, out var known) && known.Stamp == stamp) return known.Value;
        var names = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        _entries.Set(dir, new(stamp, names));
        return names;
    }

    private HashSet<string>? Read(string dir)
    {
        // mtime, ctime and inode: setting the mtime back after adding an entry still changes the ctime.
        if (FileStamp.ReadFolder(dir) is not { } stamp) return null;
        if (_listings.TryGetValue(dir, out var cached) && cached.Stamp == stamp) return cached.Value;
        HashSet<string> names;
        try
        {
            names = new HashSet<string>(Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>(),
            Paths.NormalizedPath.Comparer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // A directory changed within the racy window may change again inside the same mtime tick.
        if (FileHashMemo.IsSettled(stamp)) _listings.Set(dir, new(stamp, names));
        return names;
    }
}
