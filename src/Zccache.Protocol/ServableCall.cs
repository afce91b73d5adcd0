namespace Zccache.Protocol;

/// <summary>
/// Which launcher calls the resident server may serve: the one rule for the thin launcher, the engine and the server,
/// with the settings it reads. The server still answers "not served" to anything that is not a hit.
/// </summary>
public static class ServableCall
{
    public const string DisableSetting = "ZCCACHE_DISABLE";
    public const string ServerSetting = "ZCCACHE_SERVER";

    /// <summary>
    /// A compile the server may serve: a compiler is named (not one of zccache's own commands), the cache and the
    /// server are on, and every argument is UTF-8 (else the engine passes the raw bytes on).
    /// </summary>
    public static bool MayBeServed(IReadOnlyList<string> argv, Func<string, string?> env) =>
        CompilerIndex(argv) < argv.Count && !CommandNames.All.Contains(argv[0])
        && !IsServerOff(env(ServerSetting)) && !IsDisabled(env) && !HasReplacedBytes(argv);

    /// <summary>Where the compiler's name is: launchers stack ("zccache zccache gcc", a
    /// CMake launcher inside a RUSTC_WRAPPER build), and we skip ourselves.</summary>
    public static int CompilerIndex(IReadOnlyList<string> argv)
    {
        int i = 0;
        while (i < argv.Count && Path.GetFileNameWithoutExtension(argv[i]) == "zccache") i++;
        return i;
    }

    /// <summary>ZCCACHE_DISABLE=1: compile plainly, no cache, no session.</summary>
    public static bool IsDisabled(Func<string, string?> env) => env(DisableSetting) is "1" or "true";

    /// <summary>ZCCACHE_SERVER=0 (off, false, no): no server.</summary>
    public static bool IsServerOff(string? setting) => setting?.Trim().ToLowerInvariant() is "0" or "off" or "false" or "no";

    /// <summary>True when an argument holds U+FFFD, as .NET decodes bytes
    /// that are not UTF-8 (rare: then the raw bytes are checked).</summary>
    public static bool HasReplacedBytes(IReadOnlyList<string> argv)
    {
        foreach (string a in argv)
            if (a.Contains('\uFFFD')) return true;
        return false;
    }
}
