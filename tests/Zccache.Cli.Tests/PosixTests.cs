using System.Net.Sockets;
using Zccache.Protocol;

namespace Zccache.Cli.Tests;

/// <summary>The one libc write loop that the thin launcher (a descriptor) and the socket (a peer) share.</summary>
public sealed class PosixTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("zccache-posix-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_descriptor_gets_all_the_bytes()
    {
        string file = Path.Join(_root, "out");
        byte[] data = [.. Enumerable.Range(0, 200_000).Select(i => (byte)i)];
        using (var stream = new FileStream(file, FileMode.Create, FileAccess.Write))
            Assert.Equal(0, Posix.WriteAll((int)stream.SafeFileHandle.DangerousGetHandle(), data, PosixWrite.Descriptor));
        Assert.Equal(data, File.ReadAllBytes(file));
    }

    [Fact]
    public void A_bad_descriptor_is_its_errno() =>
        Assert.Equal(9, Posix.WriteAll(-1, [1, 2, 3], PosixWrite.Descriptor)); // EBADF

    [Fact]
    public void A_peer_gone_is_epipe_not_a_signal()
    {
        var (mine, theirs) = SocketPair();
        // Shut down, not only closed: a process another test starts meanwhile holds a copy of the descriptor from its
        // fork to its exec, and that copy keeps a peer that is only closed alive (the send then succeeds).
        theirs.Shutdown(SocketShutdown.Both);
        theirs.Dispose();
        using (mine) Assert.Equal(Posix.EPipe, Posix.WriteAll((int)mine.Handle, new byte[1024], PosixWrite.Socket));
    }

    private (Socket Mine, Socket Theirs) SocketPair()
    {
        string path = Path.Join(_root, "peer.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var mine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        mine.Connect(new UnixDomainSocketEndPoint(path));
        return (mine, listener.Accept());
    }
}
