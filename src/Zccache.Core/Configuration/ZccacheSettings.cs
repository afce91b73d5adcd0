using System.Globalization;
using Zccache.Core.Compilers;
using Zccache.Core.Storage.Remote;
using Zccache.Protocol;

namespace Zccache.Core.Configuration;

/// <summary>
/// The <c>ZCCACHE_*</c> settings of one call: each name is written once (<see cref="Names"/>) and each value is parsed
/// here. Read through a lookup: this process's environment, or the environment of a launcher call the resident server
/// received. A property (an MSBuild task's, a command's option) overrides its setting with <see cref="With"/> or
/// <see cref="WithUnlessEmpty"/>.
/// </summary>
public sealed class ZccacheSettings(Func<string, string?> lookup)
{
    /// <summary>The settings' names. Those the thin launcher reads too are Protocol's.</summary>
    public static class Names
    {
        public const string CacheDir = Protocol.CacheRoot.Setting;
        public const string Disable = ServableCall.DisableSetting;
        public const string Server = ServableCall.ServerSetting;
        public const string ServerIdleTimeout = "ZCCACHE_SERVER_IDLE_TIMEOUT";
        public const string CacheSize = "ZCCACHE_CACHE_SIZE";
        public const string SessionsKept = "ZCCACHE_SESSIONS_KEPT";
        /// <summary>Every remote setting starts with it.</summary>
        public const string Remote = "ZCCACHE_REMOTE";
        public const string RemoteReadOnly = "ZCCACHE_REMOTE_READ_ONLY";
        public const string RemoteSigningKey = "ZCCACHE_REMOTE_SIGNING_KEY";
        public const string RemoteToken = "ZCCACHE_REMOTE_TOKEN";
        public const string BaseDir = "ZCCACHE_BASEDIR";
        public const string PrefixCommand = "ZCCACHE_PREFIX_COMMAND";
        public const string SessionId = "ZCCACHE_SESSION_ID";
        public const string Project = "ZCCACHE_PROJECT";
        public const string CiSummary = "ZCCACHE_CI_SUMMARY";
    }

    /// <summary>This process's settings.</summary>
    public static ZccacheSettings OfThisProcess() => new(Environment.GetEnvironmentVariable);

    /// <summary>The lookup the settings read (also for what is not zccache's: HOME, CI variables).</summary>
    public Func<string, string?> Lookup => lookup;

    /// <summary>
    /// These settings with <paramref name="name"/> replaced by <paramref name="value"/>, an empty one too (unset): for a
    /// property that already holds the setting's value (the package's targets default it from the setting). Null replaces nothing.
    /// </summary>
    public ZccacheSettings With(string name, string? value) => value is null ? this : new(n => n == name ? value : lookup(n));

    /// <summary>These settings with <paramref name="name"/> replaced by <paramref name="value"/>
    /// unless it is empty: for a property whose empty value means the setting.</summary>
    public ZccacheSettings WithUnlessEmpty(string name, string? value) => string.IsNullOrWhiteSpace(value) ? this : With(name, value);

    /// <summary>ZCCACHE_DISABLE=1 (or true): compile plainly, no cache, no session.</summary>
    public bool Disabled => ServableCall.IsDisabled(lookup);

    /// <summary>ZCCACHE_SERVER=0 (off, false, no): no resident server.</summary>
    public bool ServerOff => ServableCall.IsServerOff(lookup(Names.Server));

    /// <summary>ZCCACHE_SERVER_IDLE_TIMEOUT seconds, else ten minutes (a value that is not a positive count too).</summary>
    public TimeSpan ServerIdleTimeout =>
        int.TryParse(lookup(Names.ServerIdleTimeout), out int s) && s > 0 ? TimeSpan.FromSeconds(s) : TimeSpan.FromMinutes(10);

    /// <summary>The cache root: ZCCACHE_CACHE_DIR (relative to
    /// <paramref name="workingDirectory"/>), else the user's cache folder.</summary>
    public string CacheRoot(string workingDirectory) => Protocol.CacheRoot.Resolve(lookup, workingDirectory);

    /// <summary>The cache's budget in bytes (ZCCACHE_CACHE_SIZE, else the default for the
    /// disk); throws <see cref="FormatException"/> for a value that is not a size.</summary>
    public long CacheBudget(string cacheRoot) => CacheSize ?? Storage.CacheBudget.Default(cacheRoot);

    /// <summary>ZCCACHE_CACHE_SIZE in bytes, or null when not set; throws <see cref="FormatException"/> for a value that is
    /// not a size.</summary>
    public long? CacheSize =>
        lookup(Names.CacheSize) is { } text && !string.IsNullOrWhiteSpace(text) ? Storage.CacheBudget.Parse(text) : null;

    /// <summary>How many ended sessions a cache keeps (ZCCACHE_SESSIONS_KEPT); throws
    /// <see cref="FormatException"/> for a value that is not a count.</summary>
    public int SessionsKept
    {
        get
        {
            string? text = lookup(Names.SessionsKept);
            if (string.IsNullOrWhiteSpace(text)) return Sessions.SessionRetention.DefaultKept;
            return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int kept)
                ? kept
                : throw new FormatException($"'{text}' is not a number of sessions (examples: 50, 0).");
        }
    }

    /// <summary>The remote cache ZCCACHE_REMOTE names, or null; throws
    /// <see cref="FormatException"/> for a URL that cannot be used.</summary>
    public RemoteStore? Remote() => RemoteStore.From(lookup(Names.Remote), lookup(Names.RemoteReadOnly), lookup);

    /// <summary>What tells one remote configuration from another: every
    /// ZCCACHE_REMOTE* setting, in <paramref name="environment"/>.</summary>
    public static string RemoteKey(IEnumerable<KeyValuePair<string, string>> environment) =>
        string.Join('\n', environment.Where(e => e.Key.StartsWith(Names.Remote, StringComparison.Ordinal))
            .Select(e => e.Key + "=" + e.Value).Order(StringComparer.Ordinal));

    /// <summary>ZCCACHE_BASEDIR, relative to <paramref name="workingDirectory"/>; null when not set.</summary>
    public Paths.BaseDir? BaseDir(string workingDirectory) =>
        lookup(Names.BaseDir) is { } dir && !string.IsNullOrWhiteSpace(dir)
        ? Paths.BaseDir.From(Path.GetFullPath(dir.Trim(), workingDirectory)) : null;

    /// <summary>ZCCACHE_PREFIX_COMMAND's words; none when zccache is disabled.</summary>
    public IReadOnlyList<string> PrefixCommand => Disabled ? [] : CompileInvocation.SplitPrefix(lookup(Names.PrefixCommand));

    /// <summary>ZCCACHE_SESSION_ID as given (it may not be a UUID), or null.</summary>
    public string? SessionId => NonBlank(Names.SessionId);

    /// <summary>ZCCACHE_PROJECT: the project a call counts for, or null.</summary>
    public string? Project => NonBlank(Names.Project);

    /// <summary>ZCCACHE_CI_SUMMARY: the file a session's summary is added to, or null.</summary>
    public string? CiSummary => NonBlank(Names.CiSummary);

    private string? NonBlank(string name) => lookup(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}
