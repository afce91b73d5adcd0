using Zccache.Core.Contexts;
using Zccache.Core.Paths;

namespace Zccache.Core.Sessions;

/// <summary>An active session: its owner, the compile contexts it registered, its activity and statistics.</summary>
public sealed class Session
{
    public required SessionId Id { get; init; }
    public required int ClientPid { get; init; }
    public required NormalizedPath WorkingDir { get; init; }
    public NormalizedPath? LogFile { get; init; }
    public HashSet<ContextKey> ContextKeys { get; init; } = [];
    /// <summary>When the session was created and last active, from the manager's clock.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset LastActivity { get; set; }
    /// <summary>Present only when the session opted in to statistics.</summary>
    public SessionStatsTracker? StatsTracker { get; set; }
    public NormalizedPath? JournalPath { get; init; }
    public bool Profile { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> PrivateEnv { get; init; } = [];
    public IReadOnlyList<int> OwnerPids { get; init; } = [];

    /// <summary>A deep copy, so callers never share mutable state with the manager.</summary>
    public Session Snapshot() => new()
    {
        Id = Id, ClientPid = ClientPid, WorkingDir = WorkingDir, LogFile = LogFile,
        ContextKeys = [.. ContextKeys], CreatedAt = CreatedAt, LastActivity = LastActivity,
        StatsTracker = StatsTracker?.Clone(), JournalPath = JournalPath, Profile = Profile,
        PrivateEnv = PrivateEnv, OwnerPids = OwnerPids,
    };
}
