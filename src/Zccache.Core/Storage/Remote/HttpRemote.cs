using System.Net;
using System.Net.Http.Headers;

namespace Zccache.Core.Storage.Remote;

/// <summary>
/// An HTTP remote with ccache's layouts: GET and PUT of <c>&lt;url&gt;/&lt;2 hex&gt;/&lt;rest&gt;</c>
/// (<c>layout=subdirs</c>, the default) or <c>&lt;url&gt;/&lt;key&gt;</c> (<c>flat</c>); and for
/// bazel-remote (<c>layout=bazel</c>) each value in its content-addressed store,
/// <c>&lt;url&gt;/cas/&lt;sha256 of the value&gt;</c> (HEAD first: a value already there is not sent
/// again), found through a pointer at <c>&lt;url&gt;/ac/&lt;key&gt;</c>. A bearer token from
/// <c>|bearer-token=</c> or ZCCACHE_REMOTE_TOKEN. Works against nginx with WebDAV PUT.
/// </summary>
public sealed class HttpRemote : RemoteStore
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        ConnectTimeout = Timeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5)
    })
    {
        Timeout = Timeout,
    };

    private readonly string _base;
    private readonly string _layout = "subdirs";
    private readonly string? _token;

    public HttpRemote(string url, string? token)
    {
        string[] parts = url.Split('|');
        _base = parts[0].TrimEnd('/');
        _token = token;
        foreach (string attribute in parts.Skip(1))
        {
            int eq = attribute.IndexOf('=');
            string name = eq < 0 ? attribute : attribute[..eq], value = eq < 0 ? "" : attribute[(eq + 1)..];
            if (name == "layout" && value is "subdirs" or "flat" or "bazel") _layout = value;
            else if (name == "bearer-token") _token = value;
            else throw new FormatException($"unknown remote attribute '{name}' (layout=subdirs|flat|bazel, bearer-token=…).");
        }
    }

    private const string PointerPrefix = "zccache-cas ";

    private string UrlOf(string name) => _layout switch
    {
        "flat" => $"{_base}/{name}",
        _ => $"{_base}/{name[..3]}/{name[3..]}",
    };

    private HttpRequestMessage RequestTo(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        if (!string.IsNullOrEmpty(_token)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }

    protected override byte[]? GetCore(string name)
    {
        if (_layout != "bazel") return Get(UrlOf(name));
        // A manifest's and an entry's keys are different hashes: one /ac/ namespace holds both.
        if (Get($"{_base}/ac/{name[1..]}") is not { } pointer) return null;
        string text = System.Text.Encoding.ASCII.GetString(pointer).Trim();
        if (!text.StartsWith(PointerPrefix, StringComparison.Ordinal) || !Hashing.ContentHash.IsValidHex(text[PointerPrefix.Length..]))
            return null;
        string digest = text[PointerPrefix.Length..];
        byte[]? value = Get($"{_base}/cas/{digest}");
        return value is not null && Hashing.ContentHash.Of(value).Hex == digest ? value : null;
    }

    private byte[]? Get(string url)
    {
        using var response = Client.Send(RequestTo(HttpMethod.Get, url));
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw new RemoteUnavailableException($"GET answered {(int)response.StatusCode}");
        using var stream = response.Content.ReadAsStream();
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    protected override void PutCore(string name, byte[] value)
    {
        if (_layout != "bazel")
        {
            Put(UrlOf(name), value);
            return;
        }
        string digest = Hashing.ContentHash.Of(value).Hex;
        using (var head = Client.Send(RequestTo(HttpMethod.Head, $"{_base}/cas/{digest}")))
            if (!head.IsSuccessStatusCode) Put($"{_base}/cas/{digest}", value);
        Put($"{_base}/ac/{name[1..]}", System.Text.Encoding.ASCII.GetBytes(PointerPrefix + digest + "\n"));
    }

    private void Put(string url, byte[] value)
    {
        using var request = RequestTo(HttpMethod.Put, url);
        request.Content = new ByteArrayContent(value);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = Client.Send(request);
        if (!response.IsSuccessStatusCode) throw new RemoteUnavailableException($"PUT answered {(int)response.StatusCode}");
    }
}
