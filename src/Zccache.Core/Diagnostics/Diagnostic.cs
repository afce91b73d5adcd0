namespace Zccache.Core.Diagnostics;

/// <summary>A message for the user with a ZC code; every code is listed in the README with what to do.</summary>
public sealed record Diagnostic(string Code, string Message, bool IsError = false)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The ZC codes. Warnings never fail a build: the compile runs without the cache instead.</summary>
public static class ZcCodes
{
    /// <summary>The cache directory cannot be created or written: compiles run without the cache.</summary>
    public const string CacheDirUnusable = "ZC1001";
    /// <summary>Reading or writing the cache failed (disk full, permissions): this compile ran without the cache.</summary>
    public const string CacheIoError = "ZC1002";
    /// <summary>A cache entry failed verification and was removed: the compile ran.</summary>
    public const string CorruptEntry = "ZC1003";
    /// <summary>The session folder could not be written or read: the summary may be incomplete.</summary>
    public const string SessionIoError = "ZC1004";
    /// <summary>The stats file could not be written.</summary>
    public const string StatsFileError = "ZC1005";
    /// <summary>The remote cache failed (unreachable, timed out, refused): the build goes on with the local cache only.</summary>
    public const string RemoteUnavailable = "ZC1008";
    /// <summary>Other users can write in the cache directory: they could replace what it serves.</summary>
    public const string CacheOpenToOthers = "ZC1009";
    /// <summary>The CI summary (GitHub step summary, Azure DevOps summary file) cannot be written.</summary>
    public const string CiSummaryError = "ZC1007";
    /// <summary>The zccache launcher shipped in the package cannot be run
    /// (not executable): cargo and CMake under Exec run uncached.</summary>
    public const string LauncherUnusable = "ZC1006";
    /// <summary>The prefix command (ZccachePrefixCommand: distcc, icecc) cannot be started: compiles run locally without it.</summary>
    public const string PrefixNotRunnable = "ZC1010";
    /// <summary>The launcher's resident server failed a call (gone mid-call,
    /// another protocol, no answer): the launcher did the call itself.</summary>
    public const string ServerFailed = "ZC1011";
    /// <summary>ZccacheSessionId / ZCCACHE_SESSION_ID is not a UUID: a new session is started instead.</summary>
    public const string BadSessionId = "ZC2001";
    /// <summary>A property has a value that cannot be used (e.g. ZccacheParallelism): the default is used.</summary>
    public const string BadProperty = "ZC2002";
    /// <summary>A session setting is invalid (e.g. a journal path not ending in .jsonl).</summary>
    public const string BadSessionConfig = "ZC2003";
    /// <summary>A zccache command was given arguments it does not take.</summary>
    public const string BadArguments = "ZC2004";
    /// <summary>The session id names no session in this cache.</summary>
    public const string UnknownSession = "ZC2005";
    /// <summary>A journal file cannot be read.</summary>
    public const string JournalUnreadable = "ZC2006";
    /// <summary>The compiler cannot be found: the compile fails as it would without the cache.</summary>
    public const string CompilerNotFound = "ZC3001";
    /// <summary>A ClCompile item names a source file that does not exist.</summary>
    public const string SourceNotFound = "ZC3002";
    /// <summary>The launcher was called without a compiler (<c>zccache</c> alone).</summary>
    public const string NoCompiler = "ZC3003";
    /// <summary>The launcher's arguments are not valid UTF-8 and this platform cannot pass them on unchanged.</summary>
    public const string UnpassableArguments = "ZC3004";
    /// <summary>The compiler exists but cannot be run (not executable, argument list too long): exit 126, as a shell gives.</summary>
    public const string CompilerNotRunnable = "ZC3005";
    /// <summary>A CargoCrate item names a Cargo.toml that does not exist.</summary>
    public const string CrateNotFound = "ZC3006";
}
