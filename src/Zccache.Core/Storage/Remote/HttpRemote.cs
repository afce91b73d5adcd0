using System.Net;
using System.Net.Http.Headers;

namespace Zccache.Core.Storage.Remote;

/// <summary>
/// An HTTP remote with ccache's layout: GET, HEAD and PUT of <c>&lt;url&gt;/&lt;2 hex&gt;/&lt;rest&gt;</c>
/// (<c>layout=subdirs</c>, the default), <c>&lt;url&gt;/&lt;key&gt;</c> (<c>flat</c>) or
/// <c>&lt;url&gt;/ac/&lt;key&gt;</c> (<c>bazel</c>, for bazel-remote); a bearer token from
/// <c>|bearer-token=</c> or ZCCACHE_REMOTE_TOKEN. Works against nginx with WebDAV PUT.
/// </summary>
public sealed class HttpRemote : RemoteStore
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { ConnectTimeout = Timeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
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

    private string UrlOf(string name) => _layout switch
    {
        "flat" => $"{_base}/{name}",
        "bazel" => $"{_base}/ac/{name[1..]}", // a manifest's and an entry's keys are different hashes
        _ => $"{_base}/{name[..3]}/{name[3..]}",
    };

    private HttpRequestMessage Request(HttpMethod method, string name)
    {
        var request = new HttpRequestMessage(method, UrlOf(name));
        if (!string.IsNullOrEmpty(_token)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }

    protected override byte[]? GetCore(string name)
    {
        using var response = Client.Send(Request(HttpMethod.Get, name));
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw new RemoteUnavailableException($"GET answered {(int)response.StatusCode}");
        using var stream = response.Content.ReadAsStream();
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    protected override void PutCore(string name, byte[] value)
    {
        using var request = Request(HttpMethod.Put, name);
        request.Content = new ByteArrayContent(value);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = Client.Send(request);
        if (!response.IsSuccessStatusCode) throw new RemoteUnavailableException($"PUT answered {(int)response.StatusCode}");
    }
}
