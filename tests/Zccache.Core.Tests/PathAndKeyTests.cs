using Zccache.Core.Compilers;
using Zccache.Core.Contexts;
using Zccache.Core.Paths;

namespace Zccache.Core.Tests;

public class PathAndKeyTests
{
    [Theory]
    [InlineData("/a/b/../c/./d.c", "/a/c/d.c")]
    [InlineData("/a//b///c/", "/a/b/c")]
    [InlineData("/../a", "/a")]
    [InlineData("/", "/")]
    public void Paths_fold_lexically(string input, string expected) => Assert.Equal(expected, NormalizedPath.From(input).Value);

    [Fact]
    public void Relative_paths_resolve_against_the_base()
    {
        Assert.Equal("/work/src/a.c", NormalizedPath.From("../src/a.c", "/work/proj").Value);
        Assert.True(NormalizedPath.From("/work/src/a.c").IsUnder(NormalizedPath.From("/work")));
        Assert.False(NormalizedPath.From("/workshop/a.c").IsUnder(NormalizedPath.From("/work")));
    }

    [Fact]
    public void Case_follows_the_platform()
    {
        bool equal = NormalizedPath.From("/A/b.c") == NormalizedPath.From("/a/b.c");
        Assert.Equal(OperatingSystem.IsWindows() || OperatingSystem.IsMacOS(), equal);
    }

    private static CompileContext Parse(params string[] args)
    {
        var (compile, why) = GccCommandLine.Parse(new CompileInvocation { Compiler = "gcc", Arguments = args, WorkingDirectory = "/w" });
        Assert.Null(why);
        return compile!.Context;
    }

    private static ContextKey Key(CompileContext c, string compiler = "sha256:gcc") => ContextKey.Compute(c, compiler, []);

    [Fact]
    public void Key_is_stable_and_ignores_define_order()
    {
        var a = Parse("-c", "a.c", "-DA=1", "-DB=2", "-Iinc");
        var b = Parse("-DB=2", "-c", "-Iinc", "a.c", "-DA=1");
        Assert.Equal(Key(a), Key(b));
        Assert.Equal(Key(a), Key(Parse("-c", "a.c", "-DA=1", "-DB=2", "-Iinc")));
        Assert.Matches("^[0-9a-f]{64}$", Key(a).Hex);
    }

    [Theory]
    [InlineData("-DA=2")]
    [InlineData("-UA")]
    [InlineData("-Iother")]
    [InlineData("-isystem", "inc")]
    [InlineData("-O2")]
    [InlineData("-std=c11")]
    [InlineData("-include", "x.h")]
    [InlineData("-fno-strict-aliasing")]
    [InlineData("--some-unknown-flag")]
    public void Key_changes_with_anything_that_changes_output(params string[] extra)
    {
        var baseline = Parse("-c", "a.c", "-DA=1", "-Iinc");
        var changed = Parse(["-c", "a.c", "-DA=1", "-Iinc", .. extra]);
        Assert.NotEqual(Key(baseline), Key(changed));
    }

    [Fact]
    public void Key_changes_with_include_order_compiler_and_extras()
    {
        var ab = Parse("-c", "a.c", "-Ia", "-Ib");
        var ba = Parse("-c", "a.c", "-Ib", "-Ia");
        Assert.NotEqual(Key(ab), Key(ba));
        Assert.NotEqual(Key(ab, "sha256:gcc-12"), Key(ab, "sha256:gcc-13"));
        Assert.NotEqual(ContextKey.Compute(ab, "c", [new("env:CPATH", "/x")]), ContextKey.Compute(ab, "c", [new("env:CPATH", "/y")]));
    }

    [Fact]
    public void Conflicting_macro_order_enters_the_key()
    {
        var defineThenUndefine = Parse("-c", "a.c", "-DX", "-UX");
        var undefineThenDefine = Parse("-c", "a.c", "-UX", "-DX");
        Assert.NotEqual(Key(defineThenUndefine), Key(undefineThenDefine));
        Assert.Empty(Parse("-c", "a.c", "-DX", "-UY").OrderedMacroOps);
    }

    [Fact]
    public void Context_fields_are_parsed_in_order()
    {
        var c = Parse("-c", "src/a.c", "-iquote", "q", "-Iu1", "-I", "u2", "-isystem", "s", "-idirafter", "z",
            "-DZ", "-DA=1", "-UQ", "-include", "f1.h", "-include", "f2.h", "-O2", "-std=c99", "-Wall", "-g", "-mavx2", "-x", "c",
            "--weird");
        Assert.Equal("/w/src/a.c", c.SourceFile.Value);
        Assert.Equal(new[] { "/w/q" }, c.IncludeSearch.Quote.Select(p => p.Value));
        Assert.Equal(new[] { "/w/u1", "/w/u2" }, c.IncludeSearch.User.Select(p => p.Value));
        Assert.Equal(new[] { "/w/s" }, c.IncludeSearch.System.Select(p => p.Value));
        Assert.Equal(new[] { "/w/z" }, c.IncludeSearch.After.Select(p => p.Value));
        Assert.Equal(new[] { "/w/q", "/w/u1", "/w/u2", "/w/s", "/w/z" }, c.IncludeSearch.InSearchOrder().Select(p => p.Value));
        Assert.Equal(new[] { "A=1", "Z" }, c.Defines);
        Assert.Equal(new[] { "Q" }, c.Undefines);
        Assert.Equal(new[] { "/w/f1.h", "/w/f2.h" }, c.ForceIncludes.Select(p => p.Value));
        Assert.Equal(new[] { "-O2", "-std=c99", "-Wall", "-g", "-mavx2", "-xc" }, c.Flags);
        Assert.Equal(new[] { "--weird" }, c.UnknownFlags);
    }
}
