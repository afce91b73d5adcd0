using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Zccache.Testing;

/// <summary>
/// A real nginx with WebDAV PUT on 127.0.0.1 and a free port, serving a temporary folder: the HTTP
/// remote cache the tests share. One process (no master), killed on <see cref="Stop"/> or dispose.
/// </summary>
public sealed class WebDavServer : IDisposable
{
    private Process? _process;

    public WebDavServer(string root)
    {
        Root = root;
        Directory.CreateDirectory(Path.Join(root, "data"));
        Port = FreePort();
        string conf = Path.Join(root, "nginx.conf");
        File.WriteAllText(conf, $$"""
            daemon off;
            master_process off;
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path {{root}}/body;
              client_max_body_size 200m;
              server {
                listen 127.0.0.1:{{Port}};
                location /cache/ {
                  root {{root}}/data;
                  dav_methods PUT DELETE;
                  create_full_put_path on;
                }
              }
            }
            """);
        _process = Process.Start(new ProcessStartInfo("nginx", ["-c", conf, "-p", root]) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("nginx did not start");
        for (int i = 0; i < 100 && !Listening(); i++) Thread.Sleep(50);
        if (!Listening()) throw new InvalidOperationException("nginx is not listening: " + File.ReadAllText(Path.Join(root, "error.log")));
    }

    public string Root { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/cache";

    /// <summary>How many values the remote holds.</summary>
    public int Count => Directory.Exists(Path.Join(Root, "data", "cache")) ? Directory.GetFiles(Path.Join(Root, "data", "cache"), "*", SearchOption.AllDirectories).Length : 0;

    public void Stop()
    {
        if (_process is { HasExited: false } p) { p.Kill(); p.WaitForExit(); }
    }

    public void Dispose() => Stop();

    private bool Listening()
    {
        try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, Port); return true; }
        catch (SocketException) { return false; }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
