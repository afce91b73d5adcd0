using StackExchange.Redis;

namespace Zccache.Core.Storage.Remote;

/// <summary>
/// A Redis remote, <c>redis[s]://[user:password@]host[:port][,host[:port]…][/db]</c>: one string value per key,
/// <c>zccache:&lt;kind&gt;&lt;key&gt;</c>. Several endpoints are seeds of one deployment (a primary and its
/// replicas, or nodes of a Redis Cluster); StackExchange.Redis finds a cluster's other nodes from any of them and
/// sends each key to the node that owns its slot. Keys carry no hash tag, so they spread over every slot.
/// <c>rediss://</c> speaks TLS (port 6380 unless given), checking the server's certificate against the system's trusted
/// roots and the name it was reached by, as an https:// remote does.
/// </summary>
public sealed class RedisRemote : RemoteStore
{
    private readonly Lazy<ConnectionMultiplexer> _connection;

    /// <summary>Throws <see cref="FormatException"/> for a URL that names no usable endpoint.</summary>
    public RedisRemote(string url)
    {
        var options = Options(url);
        _connection = new(() => Connect(options));
    }

    internal static ConfigurationOptions Options(string url)
    {
        if (!Names(url)) throw new FormatException($"'{Redacted(url)}' is not a {Scheme} or {TlsScheme} URL.");
        bool tls = url.StartsWith(TlsScheme, StringComparison.OrdinalIgnoreCase);
        string rest = url[(tls ? TlsScheme : Scheme).Length..];
        var options = new ConfigurationOptions
        {
            Ssl = tls,
            ConnectTimeout = (int)Timeout.TotalMilliseconds,
            SyncTimeout = (int)Timeout.TotalMilliseconds,
            AsyncTimeout = (int)Timeout.TotalMilliseconds,
            AbortOnConnectFail = true,
            ConnectRetry = 1,
        };
        // Before the user information is split off: an '@' after a '?' (redis://h?user=a@b) is not the host's.
        if (rest.Contains('?'))
            throw new FormatException($"'{Redacted(url)}': options after '?' are not read (for TLS, the URL starts with {TlsScheme}; "
                + "a '?' in a password is written %3F).");
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string[] user = Uri.UnescapeDataString(rest[..at]).Split(':', 2);
            if (user.Length == 2) { options.User = user[0].Length > 0 ? user[0] : null; options.Password = user[1]; }
            else options.Password = user[0];
            rest = rest[(at + 1)..];
        }
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            string db = rest[(slash + 1)..].Trim('/');
            if (db.Length > 0)
                options.DefaultDatabase = int.TryParse(db, out int n) && n >= 0 ? n
                    : throw new FormatException($"'{Redacted(url)}': '{db}' is not a database number.");
            rest = rest[..slash];
        }
        foreach (string endpoint in rest.Split(',', StringSplitOptions.TrimEntries))
            options.EndPoints.Add(EndPointCollection.TryParse(endpoint)
                ?? throw new FormatException($"'{Redacted(url)}': '{endpoint}' is not host[:port]."));
        return options;
    }

    public const string Scheme = "redis://";
    public const string TlsScheme = "rediss://";

    /// <summary>True for a URL this remote reads (<c>redis://</c> or <c>rediss://</c>).</summary>
    public static bool Names(string url) =>
        url.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || url.StartsWith(TlsScheme, StringComparison.OrdinalIgnoreCase);

    private static ConnectionMultiplexer Connect(ConfigurationOptions options)
    {
        try { return ConnectionMultiplexer.Connect(options); }
        // The kind of failure (UnableToConnect, AuthenticationFailure for a refused certificate or password, …): the
        // library's own message is a paragraph of internals.
        catch (RedisConnectionException e) { throw new RemoteUnavailableException($"cannot connect: {e.FailureType}", e); }
    }

    private IDatabase Db => _connection.Value.GetDatabase();

    protected override byte[]? GetCore(string name) => Db.StringGet("zccache:" + name) is { IsNull: false } v ? (byte[]?)v : null;

    protected override void PutCore(string name, byte[] value) => Db.StringSet("zccache:" + name, value);
}
