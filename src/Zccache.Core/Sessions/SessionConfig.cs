namespace Zccache.Core.Sessions;

/// <summary>How a session is created: who owns it, where it works, and what it records.</summary>
public sealed record SessionConfig
{
    /// <summary>PID of the client that owns the session (the dead-man's switch watches it).</summary>
    public required int ClientPid { get; init; }
    public required string WorkingDir { get; init; }
    public string? LogFile { get; init; }
    public bool TrackStats { get; init; }
    /// <summary>Per-session JSONL compile journal; must end in <c>.jsonl</c>.</summary>
    public string? JournalPath { get; init; }
    /// <summary>Adds per-phase timings to the journal.</summary>
    public bool Profile { get; init; }
    /// <summary>Environment overlaid onto every compile of this session.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> PrivateEnv { get; init; } = [];
    /// <summary>Further PIDs that keep the session alive.</summary>
    public IReadOnlyList<int> OwnerPids { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> with a ZC code when the configuration cannot be used.</summary>
    public void Validate()
    {
        if (JournalPath is not null && !JournalPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"ZC2003: the journal path '{JournalPath}' must end in .jsonl (one JSON object per line).", nameof(JournalPath));
        if (string.IsNullOrWhiteSpace(WorkingDir))
            throw new ArgumentException("ZC2003: a session needs a working directory.", nameof(WorkingDir));
    }
}
