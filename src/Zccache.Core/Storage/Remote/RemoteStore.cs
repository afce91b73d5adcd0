using Zccache.Core.Diagnostics;

namespace Zccache.Core.Storage.Remote;

/// <summary>The remote could not be reached or answered wrongly: the build goes on at local speed.</summary>
public sealed class RemoteUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A shared cache on an existing engine, behind the local store: looked up after it, backfilling
/// it on a hit, and written after a miss unless read-only. Values are opaque, compressed blobs
/// (manifests and <see cref="EntryBundle"/>s) under validated hex keys. Every call is bounded by a
/// timeout; the first failure disables the remote for the rest of the process (one ZC1008 warning).
/// </summary>
public abstract class RemoteStore
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public required string Url { get; init; }
    public bool ReadOnly { get; init; }

    private volatile string? _failure;

    /// <summary>Why the remote was turned off in this process; null while it works.</summary>
    public string? Failure => _failure;

    /// <summary>The value, or null when absent or when the remote is off.</summary>
    public byte[]? Get(string kind, string key)
    {
        if (_failure is not null) return null;
        try { return GetCore(Name(kind, key)); }
        catch (Exception e) when (IsRemoteFault(e)) { Fail(e); return null; }
    }

    public void Put(string kind, string key, byte[] value)
    {
        if (ReadOnly || _failure is not null) return;
        try { PutCore(Name(kind, key), value); }
        catch (Exception e) when (IsRemoteFault(e)) { Fail(e); }
    }

    /// <summary>The ZC1008 warning for a failure, once.</summary>
    public Diagnostic? TakeFailureDiagnostic()
    {
        if (_failure is null || Interlocked.Exchange(ref _reported, 1) == 1) return null;
        return new Diagnostic(ZcCodes.RemoteUnavailable, $"the remote cache {Redacted(Url)} failed ({_failure}); going on with the local cache only.");
    }

    private int _reported;

    protected abstract byte[]? GetCore(string name);
    protected abstract void PutCore(string name, byte[] value);

    private static string Name(string kind, string key) =>
        Hashing.ContentHash.IsValidHex(key) && kind is "m" or "e" ? $"{kind}{key}" : throw new InvalidDataException($"not a cache key: '{key}'");

    private void Fail(Exception e) => _failure ??= e.Message;

    private static bool IsRemoteFault(Exception e) =>
        e is RemoteUnavailableException or IOException or TimeoutException or OperationCanceledException or HttpRequestException
            or InvalidOperationException or StackExchange.Redis.RedisException;

    /// <summary>The URL without credentials, for messages.</summary>
    public static string Redacted(string url)
    {
        int at = url.IndexOf('@');
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        string plain = at > scheme && scheme >= 0 ? url[..(scheme + 3)] + "***" + url[at..] : url;
        int bar = plain.IndexOf('|');
        return bar < 0 ? plain : plain[..bar];
    }

    /// <summary>
    /// The remote named by <c>ZccacheRemote</c> / <c>ZCCACHE_REMOTE</c>: <c>redis://host:port[/db]</c>,
    /// or <c>http(s)://host/path[|layout=subdirs|flat|bazel][|bearer-token=…]</c> (ccache's syntax).
    /// Read-only when <paramref name="readOnly"/> says so, or by default in a pull-request build.
    /// </summary>
    public static RemoteStore? FromEnvironment(Func<string, string?> env) => From(env("ZCCACHE_REMOTE"), env("ZCCACHE_REMOTE_READ_ONLY"), env);

    public static RemoteStore? From(string? url, string? readOnly, Func<string, string?> env)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        bool ro = readOnly?.Trim().ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => env("GITHUB_EVENT_NAME") is "pull_request" or "pull_request_target" || string.Equals(env("BUILD_REASON"), "PullRequest", StringComparison.OrdinalIgnoreCase),
        };
        url = url.Trim();
        if (url.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)) return new RedisRemote(url) { Url = url, ReadOnly = ro };
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new HttpRemote(url, env("ZCCACHE_REMOTE_TOKEN")) { Url = url, ReadOnly = ro };
        throw new FormatException($"'{Redacted(url)}' is not a remote cache URL (redis://host:port or http(s)://host/path).");
    }
}
