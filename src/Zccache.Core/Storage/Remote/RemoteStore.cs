using Zccache.Core.Diagnostics;

namespace Zccache.Core.Storage.Remote;

/// <summary>The remote could not be reached or answered wrongly: the build goes on at local speed.</summary>
public sealed class RemoteUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A shared cache on an existing engine, behind the local store: looked up after it, backfilling
/// it on a hit, and written after a miss unless read-only. Values are opaque, compressed blobs
/// (manifests and <see cref="EntryBundle"/>s) under validated hex keys, each bound to its key.
/// Every call is bounded by a timeout; the first failure disables the remote for the rest of the
/// process (one ZC1008 warning) and, noted in the session's folder, for every process of the
/// session for <see cref="SkipAfterFailure"/>: a hung remote costs one timeout per session.
/// With a signing key (ZCCACHE_REMOTE_SIGNING_KEY), every value written is signed (HMAC-SHA256 over
/// its name and bytes) and a value read without a valid signature is refused.
/// </summary>
public abstract class RemoteStore
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan SkipAfterFailure = TimeSpan.FromMinutes(10);

    public required string Url { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>The shared secret writers sign with and readers check; null: values are not signed.</summary>
    public byte[]? SigningKey { get; init; }

    private volatile string? _failure;
    private volatile string? _sessionNote;

    /// <summary>Why the remote was turned off in this process; null while it works.</summary>
    public string? Failure => _failure;

    /// <summary>
    /// Shares failures with the other processes of the session in <paramref name="sessionFolder"/>: a failure is noted
    /// there as <c>remote-failed.&lt;url hash&gt;</c> (the redacted URL, then what failed), which the reports read too.
    /// </summary>
    public void JoinSession(string sessionFolder) =>
        _sessionNote ??= Path.Join(sessionFolder,
            FailureNotePrefix + Hashing.ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(Url)).Hex[..16]);

    public const string FailureNotePrefix = "remote-failed.";

    /// <summary>The value, or null when absent or when the remote is off. Throws
    /// <see cref="CorruptEntryException"/> for a value whose signature does not verify.</summary>
    public byte[]? Get(RemoteNamespace kind, string key)
    {
        if (IsOff()) return null;
        string name = Name(kind, key);
        byte[]? value;
        try { value = GetCore(name); }
        catch (Exception e) when (IsRemoteFault(e)) { Fail(e); return null; }
        return value is null ? null : Verified(name, value);
    }

    public void Put(RemoteNamespace kind, string key, byte[] value)
    {
        if (ReadOnly || IsOff()) return;
        string name = Name(kind, key);
        try { PutCore(name, SigningKey is null ? value : [.. SignedMagic, .. Signature(name, value), .. value]); }
        catch (Exception e) when (IsRemoteFault(e)) { Fail(e); }
    }

    private static readonly byte[] SignedMagic = "ZCSIG1\n"u8.ToArray();

    private byte[] Signature(string name, ReadOnlySpan<byte> value) =>
        Hashing.Hmac.Sha256Of(SigningKey, [.. System.Text.Encoding.ASCII.GetBytes(name), 0, .. value]);

    private byte[] Verified(string name, byte[] stored)
    {
        bool signed = stored.Length >= SignedMagic.Length + 32 && stored.AsSpan(0, SignedMagic.Length).SequenceEqual(SignedMagic);
        var value = signed ? stored.AsSpan(SignedMagic.Length + 32) : stored;
        if (SigningKey is null) return value.ToArray(); // not asked to check: the key binding still is
        if (!signed) throw new CorruptEntryException($"the remote cache's value {name} is not signed and was refused "
            + $"(ZCCACHE_REMOTE_SIGNING_KEY is set)");
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Signature(name, value),
            stored.AsSpan(SignedMagic.Length, 32)))
            throw new CorruptEntryException($"the remote cache's value {name} is not signed with this signing key and was refused");
        return value.ToArray();
    }

    /// <summary>Off in this process, or noted as failed by another process of the session not long ago.</summary>
    private bool IsOff()
    {
        if (_failure is not null) return true;
        if (_sessionNote is not { } note) return false;
        try
        {
            var info = new FileInfo(note);
            if (!info.Exists || DateTime.UtcNow - info.LastWriteTimeUtc > SkipAfterFailure) return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        _reported = 1; // said by the process that failed
        _failure = "it failed earlier in this session";
        return true;
    }

    /// <summary>The ZC1008 warning for a failure, once.</summary>
    public Diagnostic? TakeFailureDiagnostic()
    {
        if (_failure is null || Interlocked.Exchange(ref _reported, 1) == 1) return null;
        return new Diagnostic(ZcCodes.RemoteUnavailable,
            $"the remote cache {Redacted(Url)} failed ({_failure}); going on with the local cache only.");
    }

    private volatile int _reported;

    protected abstract byte[]? GetCore(string name);
    protected abstract void PutCore(string name, byte[] value);

    private static string Name(RemoteNamespace kind, string key)
    {
        if (!Hashing.ContentHash.IsValidHex(key)) throw new InvalidDataException($"not a cache key: '{key}'");
        return kind switch
        {
            RemoteNamespace.Manifest => "m" + key,
            RemoteNamespace.Entry => "e" + key,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private void Fail(Exception e)
    {
        _failure ??= e.Message;
        if (_sessionNote is not { } note) return;
        try { AtomicFile.Write(note, System.Text.Encoding.UTF8.GetBytes(Redacted(Url) + "\n" + e.Message.ReplaceLineEndings(" ") + "\n")); }
        catch (Exception io) when (io is IOException or UnauthorizedAccessException) { } // each process then finds out alone
    }

    private static bool IsRemoteFault(Exception e) =>
        e is RemoteUnavailableException or IOException or TimeoutException or OperationCanceledException or HttpRequestException
            or InvalidOperationException or StackExchange.Redis.RedisException;

    /// <summary>The URL without credentials, for messages.</summary>
    public static string Redacted(string url)
    {
        int bar = url.IndexOf('|');
        string plain = bar < 0 ? url : url[..bar];
        int scheme = plain.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return plain;
        // The user information ends at the authority's last '@' (a password may hold one), before the path.
        int hostStart = scheme + 3;
        int path = plain.IndexOf('/', hostStart);
        // A redis URL's path is a database number: any '@' is the password's (which may hold a '/' or '?', unescaped).
        int at = RedisRemote.Names(plain) ? plain.LastIndexOf('@') : plain.LastIndexOf('@', path < 0 ? plain.Length - 1 : path);
        return at >= hostStart ? plain[..hostStart] + "***" + plain[at..] : plain;
    }

    /// <summary>
    /// The remote named by <c>ZccacheRemote</c> / <c>ZCCACHE_REMOTE</c>:
    /// <c>redis[s]://host:port[,host:port…][/db]</c> (one Redis, or seeds of a Redis Cluster; rediss: over TLS),
    /// or <c>http(s)://host/path[|layout=subdirs|flat|bazel][|bearer-token=…]</c> (ccache's syntax).
    /// Read-only when <paramref name="readOnly"/> says so, or by default in a pull-request build.
    /// </summary>
    public static RemoteStore? From(string? url, string? readOnly, Func<string, string?> env)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        bool ro = readOnly?.Trim().ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => env("GITHUB_EVENT_NAME") is "pull_request" or "pull_request_target"
            || string.Equals(env("BUILD_REASON"), "PullRequest", StringComparison.OrdinalIgnoreCase),
        };
        url = url.Trim();
        byte[]? signingKey = env(Configuration.ZccacheSettings.Names.RemoteSigningKey) is { Length: > 0 } secret
            ? System.Text.Encoding.UTF8.GetBytes(secret) : null;
        if (RedisRemote.Names(url))
            return new RedisRemote(url) { Url = url, ReadOnly = ro, SigningKey = signingKey };
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new HttpRemote(url, env(Configuration.ZccacheSettings.Names.RemoteToken))
            {
                Url = url, ReadOnly = ro,
                SigningKey = signingKey
            };
        throw new FormatException(
            $"'{Redacted(url)}' is not a remote cache URL (redis[s]://host:port[,host:port…] or http(s)://host/path).");
    }
}
