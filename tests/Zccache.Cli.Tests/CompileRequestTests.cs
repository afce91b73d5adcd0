using Zccache.Protocol;
using Zccache.Testing;

namespace Zccache.Cli.Tests;

/// <summary>A launcher call on the wire: what the server reads is what the launcher had.</summary>
public sealed class CompileRequestTests
{
    [Fact]
    public void This_process_environment_arrives_as_dotnet_sees_it()
    {
        // Sent as libc holds it (no dictionary is made on the launcher's side): the server must still read the same variables.
        var read = RoundTrip(new CompileRequest("1-2", "/cache", "/work", ["gcc", "-c", "a.c"], Environment: null));
        var expected = TestEnvironment.With();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), read.Environment!.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(("1-2", "/cache", "/work"), (read.CallId, read.CacheRoot, read.WorkingDirectory));
        Assert.Equal(["gcc", "-c", "a.c"], read.Argv);
    }

    [Fact]
    public void A_given_environment_arrives_whole_with_non_ascii_values()
    {
        var env = new Dictionary<string, string> { ["PATH"] = "/usr/bin", ["CPATH"] = "/home/zoë/include", ["EMPTY"] = "" };
        var read = RoundTrip(new CompileRequest("1-3", "/cache", "/", ["cc"], env));
        Assert.Equal(env.OrderBy(e => e.Key, StringComparer.Ordinal), read.Environment!.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    private static CompileRequest RoundTrip(CompileRequest request)
    {
        var frame = new MemoryStream();
        using (var w = ServerProtocol.Writer(frame)) request.Write(w);
        frame.Position = 0;
        return CompileRequest.Read(ServerProtocol.Reader(frame));
    }
}
