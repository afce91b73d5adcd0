using Zccache.Protocol;

namespace Zccache.Cli.Tests;

/// <summary>The one rule for which calls the server may serve, as the thin launcher, the engine and the server apply it.</summary>
public sealed class ServableCallTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] set) =>
        name => set.FirstOrDefault(s => s.Name == name).Value;

    [Theory]
    [InlineData(new[] { "gcc", "-c", "a.c" }, true)]
    [InlineData(new[] { "zccache", "/usr/bin/zccache", "g++", "-c", "a.cpp" }, true)] // stacked launchers
    [InlineData(new[] { "zccache" }, false)] // no compiler
    [InlineData(new string[0], false)]
    [InlineData(new[] { "status" }, false)] // zccache's own commands
    [InlineData(new[] { "--handover", "1-2", "NotServed", "gcc" }, false)]
    [InlineData(new[] { "gcc", "-c", "\uFFFD.c" }, false)] // not UTF-8: the engine passes the bytes on
    public void Calls(string[] argv, bool servable) => Assert.Equal(servable, ServableCall.MayBeServed(argv, Env()));

    [Theory]
    [InlineData("ZCCACHE_SERVER", "0", false)]
    [InlineData("ZCCACHE_SERVER", " Off ", false)]
    [InlineData("ZCCACHE_SERVER", "no", false)]
    [InlineData("ZCCACHE_SERVER", "1", true)]
    [InlineData("ZCCACHE_DISABLE", "1", false)]
    [InlineData("ZCCACHE_DISABLE", "true", false)]
    [InlineData("ZCCACHE_DISABLE", "0", true)]
    public void Settings(string name, string value, bool servable) =>
        Assert.Equal(servable, ServableCall.MayBeServed(["gcc", "-c", "a.c"], Env((name, value))));

    [Fact]
    public void The_compiler_comes_after_every_stacked_zccache() =>
        Assert.Equal(2, ServableCall.CompilerIndex(["zccache", "/opt/zccache", "clang", "-c", "zccache.c"]));

    [Fact]
    public void A_hit_whose_output_the_thin_launchers_capped_heap_could_not_hold_is_left_to_the_engine()
    {
        Assert.True(ServerProtocol.FitsThinLauncher(16 << 20));
        Assert.False(ServerProtocol.FitsThinLauncher((16 << 20) + 1));
    }
}
