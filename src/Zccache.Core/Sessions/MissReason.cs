namespace Zccache.Core.Sessions;

/// <summary>
/// Why nothing was served, and for a compile that ran but was not stored, why not. A closed set: outcomes, the journal and
/// reports name these in snake_case (<see cref="MissReasons.ToWireName"/>).
/// </summary>
public enum MissReason
{
    /// <summary>No manifest for the context key: this compile was never seen.</summary>
    ContextNotFound,
    /// <summary>Each recorded result has an input whose content differs now.</summary>
    InputChanged,
    /// <summary>A new file would be found before a recorded input.</summary>
    IncludeShadowed,
    /// <summary>The result's inputs hold but its entry is gone (evicted, or incomplete).</summary>
    NoArtifactForKey,
    /// <summary>A stored value did not verify: refused, and written again by this compile.</summary>
    CorruptEntry,
    /// <summary>Reading the cache failed (the disk, permissions).</summary>
    CacheReadError,
    /// <summary>The call cannot be cached at all (the journal's non_cacheable_reason says why).</summary>
    UncacheableInput,
    /// <summary>The compiler did not report what it read: not stored.</summary>
    NoDependencyInfo,
    /// <summary>The compile succeeded without writing an output it should have: not stored.</summary>
    NoOutput,
    /// <summary>The compile failed because of its output's path, which keys do not hold: not replayed.</summary>
    OutputNotWritable,
    /// <summary>The driver, a wrapper or the environment failed, not the source: not replayed.</summary>
    EnvironmentFailure,
}

public static class MissReasons
{
    /// <summary>The reason as outcomes, the journal and reports write it: snake_case.</summary>
    public static string ToWireName(this MissReason reason) => Compilers.NonCacheable.ToSnake(reason.ToString());

    /// <summary>The reason a written name stands for, or null when it names none (a non-cacheable reason, a newer version's).</summary>
    public static MissReason? FromWireName(string? name) => name is not null && ByWireName.TryGetValue(name, out var reason) ? reason
        : null;

    private static readonly Dictionary<string, MissReason> ByWireName = Enum.GetValues<MissReason>().ToDictionary(r => r.ToWireName());
}
