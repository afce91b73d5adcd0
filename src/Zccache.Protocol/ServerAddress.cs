using System.Runtime.InteropServices;
using System.Text;

namespace Zccache.Protocol;

/// <summary>
/// Where the resident server of a cache root listens: a Unix socket in the root itself, which is its owner's alone
/// (0700), so one user's launchers never reach another's server, and two roots never share one. The name holds the
/// protocol version and the engine build's id (its path, size and time): launchers of another zccache have servers of their own.
/// </summary>
public sealed partial record ServerAddress(string Root, string Socket)
{
    /// <summary>The lock the running server holds (one server per address).</summary>
    public string LockFile => Socket + ".lock";

    /// <summary>When a launcher last started a server here (so that 40 launchers at once start one, not 40).</summary>
    public string SpawnMarker => Socket + ".spawn";

    /// <summary>
    /// The address for <paramref name="root"/> and the engine binary <paramref name="engine"/> (the one that runs the server),
    /// or null where there is no server: not Linux, or a path too long for a socket.
    /// </summary>
    public static ServerAddress? For(string root, string engine)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var file = new FileInfo(engine);
        ulong id = Fnv1a($"{file.FullName}\n{(file.Exists ? file.Length : -1)}\n{(file.Exists ? file.LastWriteTimeUtc.Ticks : 0)}");
        string socket = Path.Join(root, $"server-{ServerProtocol.Version}-{id:x16}.sock");
        // sockaddr_un holds 108 bytes with the terminating zero.
        return Encoding.UTF8.GetByteCount(socket) < 108 ? new ServerAddress(root, socket) : null;
    }

    // A name, not a secret (the socket's folder and the peer check keep others out): FNV-1a, no crypto to load at start-up.
    private static ulong Fnv1a(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in Encoding.UTF8.GetBytes(text)) hash = (hash ^ b) * 1099511628211;
        return hash;
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();

    /// <summary>This process's user.</summary>
    public static uint UserId => geteuid();
}
