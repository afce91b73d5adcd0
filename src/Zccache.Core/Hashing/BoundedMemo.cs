using System.Collections.Concurrent;

namespace Zccache.Core.Hashing;

/// <summary>
/// A process-wide memo that stays bounded in a process that lives for many builds (the resident server, a reused MSBuild
/// node): two generations of at most <c>capacity</c> entries each. When the current one is full it becomes the old one
/// and the one before it is dropped; an entry found in the old generation is moved to the current one. So an entry asked
/// for again before <c>capacity</c> others were added stays, and one nothing asked for during two generations is forgotten
/// (worked out again if needed: a memo only saves work). Thread-safe; a generation may pass its capacity by the number
/// of threads adding at once. A value set while the generations rotate can be outlived by the one it replaced: every
/// caller keeps values with the stamp they belong to, or under a key that decides them, and checks before using one.
/// </summary>
public sealed class BoundedMemo<TValue> where TValue : class
{
    private sealed class Generation(IEqualityComparer<string> comparer)
    {
        public readonly ConcurrentDictionary<string, TValue> Entries = new(comparer);
        public int Added;
    }

    private readonly int _capacity;
    private readonly IEqualityComparer<string> _comparer;
    private readonly object _rotating = new();
    private Generation? _old;
    private Generation _current;

    /// <param name="capacity">Entries per generation: the memo holds at most about twice as many.</param>
    /// <param name="comparer">How keys compare; ordinal by default.</param>
    public BoundedMemo(int capacity, IEqualityComparer<string>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _comparer = comparer ?? StringComparer.Ordinal;
        _current = new Generation(_comparer);
    }

    /// <summary>The entries held now, in both generations (an entry moved between them may count twice).</summary>
    public int Count => Volatile.Read(ref _current).Entries.Count + (Volatile.Read(ref _old)?.Entries.Count ?? 0);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TValue value)
    {
        if (Volatile.Read(ref _current).Entries.TryGetValue(key, out value)) return true;
        if (Volatile.Read(ref _old) is not { } old || !old.Entries.TryGetValue(key, out value)) return false;
        Add(key, value, replace: false); // still in use: kept through the next rotation (a newer value set meanwhile stays)
        return true;
    }

    public void Set(string key, TValue value) => Add(key, value, replace: true);

    private void Add(string key, TValue value, bool replace)
    {
        var current = Volatile.Read(ref _current);
        if (!current.Entries.TryAdd(key, value))
        {
            if (replace) current.Entries[key] = value;
            return;
        }
        if (Interlocked.Increment(ref current.Added) < _capacity) return;
        lock (_rotating)
        {
            if (_current != current) return; // another thread rotated it
            Volatile.Write(ref _old, current);
            Volatile.Write(ref _current, new Generation(_comparer));
        }
    }
}
