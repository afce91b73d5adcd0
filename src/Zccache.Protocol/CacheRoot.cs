namespace Zccache.Protocol;

/// <summary>Which cache a call uses: the one rule for the engine and the thin launcher.</summary>
public static class CacheRoot
{
    public const string Setting = "ZCCACHE_CACHE_DIR";

    /// <summary>The configured folder (a property), else ZCCACHE_CACHE_DIR, else the
    /// platform's user cache folder; relative to <paramref name="cwd"/>.</summary>
    public static string Resolve(Func<string, string?> env, string cwd, string? configured = null)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured, cwd);
        string? dir = env(Setting);
        if (!string.IsNullOrWhiteSpace(dir)) return Path.GetFullPath(dir, cwd);
        if (OperatingSystem.IsWindows())
            return Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "zccache");
        if (OperatingSystem.IsMacOS())
            return Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "Library", "Caches", "zccache");
        string? xdg = env("XDG_CACHE_HOME");
        string home = env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Join(string.IsNullOrEmpty(xdg) ? Path.Join(home, ".cache") : xdg, "zccache");
    }
}
