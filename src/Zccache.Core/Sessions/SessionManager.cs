using System.Collections.Concurrent;
using Zccache.Core.Contexts;
using Zccache.Core.Paths;

namespace Zccache.Core.Sessions;

/// <summary>
/// The active sessions of this process (one MSBuild node or one CLI process). Thread-safe:
/// the map is concurrent and each session is mutated under its own lock. What must survive
/// the process lives in the session's folder on disk (<see cref="SessionFolder"/>).
/// </summary>
public sealed class SessionManager
{
    /// <summary>The manager of this process; MSBuild tasks and the launcher share it.</summary>
    public static readonly SessionManager Process = new(TimeSpan.FromMinutes(15));

    private readonly ConcurrentDictionary<SessionId, Session> _sessions = new();
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _clock;

    public SessionManager(TimeSpan idleTimeout, TimeProvider? clock = null)
    {
        _idleTimeout = idleTimeout;
        _clock = clock ?? TimeProvider.System;
    }

    public TimeSpan IdleTimeout => _idleTimeout;

    /// <summary>Creates a session with a new id.</summary>
    public SessionId Create(SessionConfig config) => Create(config, SessionId.New());

    /// <summary>
    /// Creates the session <paramref name="id"/> in this process, or returns it if it is already
    /// here: that is how a node joins a build's session that another node started.
    /// </summary>
    public SessionId Create(SessionConfig config, SessionId id)
    {
        config.Validate();
        DateTimeOffset now = _clock.GetUtcNow();
        _sessions.GetOrAdd(id, _ => new Session
        {
            Id = id,
            ClientPid = config.ClientPid,
            WorkingDir = NormalizedPath.From(config.WorkingDir),
            LogFile = config.LogFile is null ? null : NormalizedPath.From(config.LogFile),
            CreatedAt = now,
            LastActivity = now,
            StatsTracker = config.TrackStats ? new SessionStatsTracker() : null,
            JournalPath = config.JournalPath is null ? null : NormalizedPath.From(config.JournalPath),
            Profile = config.Profile,
            PrivateEnv = config.PrivateEnv,
            OwnerPids = config.OwnerPids,
        });
        return id;
    }

    /// <summary>Removes the session; returns it, or null if there was none.</summary>
    public Session? End(SessionId id) => _sessions.TryRemove(id, out Session? s) ? s : null;

    /// <summary>Marks the session active now; false if it does not exist.</summary>
    public bool Touch(SessionId id) => Mutate(id, s => s.LastActivity = _clock.GetUtcNow());

    /// <summary>Registers a compile context with the session; false if it does not exist.</summary>
    public bool AddContext(SessionId id, ContextKey key) => Mutate(id, s =>
    {
        s.ContextKeys.Add(key);
        s.LastActivity = _clock.GetUtcNow();
    });

    /// <summary>A snapshot of the session, or null.</summary>
    public Session? Get(SessionId id)
    {
        if (!_sessions.TryGetValue(id, out Session? s)) return null;
        lock (s) return s.Snapshot();
    }

    public NormalizedPath? WorkingDir(SessionId id) => _sessions.TryGetValue(id, out Session? s) ? s.WorkingDir : null;

    public int? ContextCount(SessionId id)
    {
        if (!_sessions.TryGetValue(id, out Session? s)) return null;
        lock (s) return s.ContextKeys.Count;
    }

    /// <summary>Removes and returns the sessions idle for longer than the idle timeout.</summary>
    public IReadOnlyList<Session> CleanupExpired()
    {
        DateTimeOffset cutoff = _clock.GetUtcNow() - _idleTimeout;
        return RemoveWhere(s => s.LastActivity < cutoff);
    }

    /// <summary>Removes and returns the sessions whose client process is gone (the dead-man's switch).</summary>
    public IReadOnlyList<Session> CleanupDeadPids(Func<int, bool> isAlive) => RemoveWhere(s => !isAlive(s.ClientPid));

    /// <summary>Runs <paramref name="change"/> on the session under its lock; false if it does not exist.</summary>
    public bool Mutate(SessionId id, Action<Session> change)
    {
        if (!_sessions.TryGetValue(id, out Session? s)) return false;
        lock (s) change(s);
        return true;
    }

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
