using StackExchange.Redis;

namespace Zccache.Core.Storage.Remote;

/// <summary>A Redis remote (<c>redis://[user:password@]host[:port][/db]</c>): one string value per key, <c>zccache:&lt;kind&gt;&lt;key&gt;</c>.</summary>
public sealed class RedisRemote(string url) : RemoteStore
{
    private readonly Lazy<ConnectionMultiplexer> _connection = new(() => Connect(url));

    private static ConnectionMultiplexer Connect(string url)
    {
        var uri = new Uri(url);
        var options = new ConfigurationOptions
        {
            EndPoints = { { uri.Host, uri.Port > 0 ? uri.Port : 6379 } },
            ConnectTimeout = (int)Timeout.TotalMilliseconds,
            SyncTimeout = (int)Timeout.TotalMilliseconds,
            AsyncTimeout = (int)Timeout.TotalMilliseconds,
            AbortOnConnectFail = true,
            ConnectRetry = 1,
        };
        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } db && int.TryParse(db, out int n)) options.DefaultDatabase = n;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            string[] user = Uri.UnescapeDataString(uri.UserInfo).Split(':', 2);
            if (user.Length == 2) { options.User = user[0].Length > 0 ? user[0] : null; options.Password = user[1]; }
            else options.Password = user[0];
        }
        try { return ConnectionMultiplexer.Connect(options); }
        catch (RedisConnectionException e) { throw new RemoteUnavailableException("cannot connect", e); }
    }

    private IDatabase Db => _connection.Value.GetDatabase();

    protected override byte[]? GetCore(string name) => Db.StringGet("zccache:" + name) is { IsNull: false } v ? (byte[]?)v : null;

    protected override void PutCore(string name, byte[] value) => Db.StringSet("zccache:" + name, value);
}
