using System.Collections.Concurrent;

namespace Zccache.Core.Sessions;

/// <summary>
/// The sessions the resident server holds open, as their one writer: it lets go of those whose build is gone or that
/// sat idle. Thread-safe: the map is concurrent and each session is changed under its own lock. What must survive the
/// process lives in the session's folder on disk (<see cref="SessionFolder"/>).
/// </summary>
public sealed class SessionManager
{
    /// <summary>How long a session may sit idle before it is let go (by the server) or ended as abandoned (by a build's start).</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<SessionId, Session> _sessions = new();
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _clock;

    public SessionManager(TimeSpan idleTimeout, TimeProvider? clock = null)
    {
        _idleTimeout = idleTimeout;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Holds session <paramref name="id"/>, owned by
    /// <paramref name="clientPid"/>; a session already held keeps its owner.</summary>
    public void Join(SessionId id, int clientPid) =>
        _sessions.GetOrAdd(id, _ => new Session { Id = id, ClientPid = clientPid, LastActivity = _clock.GetUtcNow() });

    /// <summary>Removes the session; returns it, or null if there was none.</summary>
    public Session? End(SessionId id) => _sessions.TryRemove(id, out Session? s) ? s : null;

    /// <summary>Marks the session active now; false if it does not exist.</summary>
    public bool Touch(SessionId id)
    {
        if (!_sessions.TryGetValue(id, out Session? s)) return false;
        lock (s) s.LastActivity = _clock.GetUtcNow();
        return true;
    }

    /// <summary>Removes and returns the sessions idle for longer than the idle timeout.</summary>
    public IReadOnlyList<Session> CleanupExpired()
    {
        DateTimeOffset cutoff = _clock.GetUtcNow() - _idleTimeout;
        return RemoveWhere(s => s.LastActivity < cutoff);
    }

    /// <summary>Removes and returns the sessions whose client process is gone (the dead-man's switch).</summary>
    public IReadOnlyList<Session> CleanupDeadPids(Func<int, bool> isAlive) => RemoveWhere(s => !isAlive(s.ClientPid));

    public int ActiveCount => _sessions.Count;
    public bool Exists(SessionId id) => _sessions.ContainsKey(id);
    public IReadOnlyList<SessionId> ActiveIds() => [.. _sessions.Keys];

    private List<Session> RemoveWhere(Func<Session, bool> predicate)
    {
        var removed = new List<Session>();
        foreach (var (id, session) in _sessions)
        {
            bool match;
            lock (session) match = predicate(session);
            if (match && _sessions.TryRemove(new KeyValuePair<SessionId, Session>(id, session))) removed.Add(session);
        }
        return removed;
    }

    /// <summary>True when a process with this id is running (the default liveness check).</summary>
    public static bool IsProcessAlive(int pid)
    {
        if (pid <= 0) return false;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
