using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Paths;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>Two checkouts of one project at different paths share entries through a base directory.</summary>
public class BaseDirTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Checkout(string name)
    {
        foreach (var (file, text) in new[]
            {
                ("src/a.c", "#include \"a.h\"\n#include <stdio.h>\nint f(void){ puts(__FILE__); return A; }\n"),
                ("include/a.h", "#define A 1\n"),
            })
            File.SetLastWriteTimeUtc(_dir.Write(Path.Join(name, file), text), DateTime.UtcNow.AddMinutes(-1));
    }

    private CompileResult Compile(CompileCache cache, string checkout, bool withBase = true) =>
        cache.Compile(new CompileInvocation
        {
            Compiler = "gcc",
            Arguments = ["-c", "-g", "-I" + _dir[checkout + "/include"], "a.c", "-o", "a.o", "-MD"],
            WorkingDirectory = _dir[checkout + "/src"],
            BaseDir = withBase ? BaseDir.From(_dir[checkout]) : null,
        });

    [Fact]
    public void A_second_checkout_hits_with_an_identical_object_and_its_own_depfile()
    {
        Checkout("one");
        Checkout("two");
        var cache = CompileCache.Open(_dir["cache"], new FileHashMemo());
        Assert.Equal(OutcomeKind.Miss, Compile(cache, "one").Outcome.Kind);
        var second = Compile(cache, "two");
        Assert.Equal(OutcomeKind.Hit, second.Outcome.Kind);
        Assert.Equal(File.ReadAllBytes(_dir["one/src/a.o"]), File.ReadAllBytes(_dir["two/src/a.o"]));
        Assert.DoesNotContain(_dir["one"], System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(_dir["two/src/a.o"])));
        string depfile = File.ReadAllText(_dir["two/src/a.d"]);
        Assert.Contains(_dir["two/include/a.h"], depfile);
        Assert.DoesNotContain(_dir["one"], depfile);

        // A header changed in the second checkout only: a miss there, still a hit in the first.
        File.SetLastWriteTimeUtc(_dir.Write("two/include/a.h", "#define A 2\n"), DateTime.UtcNow.AddMinutes(-1));
        var changed = Compile(cache, "two");
        Assert.Equal("input_changed", changed.Outcome.Reason);
        Assert.Equal(_dir["two/include/a.h"], changed.Outcome.ChangedInput);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, "one").Outcome.Kind);
    }

    [Fact]
    public void Without_a_base_directory_checkouts_do_not_share()
    {
        Checkout("one");
        Checkout("two");
        var cache = CompileCache.Open(_dir["cache"], new FileHashMemo());
        Compile(cache, "one", withBase: false);
        Assert.Equal(OutcomeKind.Miss, Compile(cache, "two", withBase: false).Outcome.Kind);
    }

    [Fact]
    public void A_prefix_map_of_the_users_is_kept_and_none_is_added()
    {
        var (c, _) = GccCommandLine.Parse(new CompileInvocation
        {
            Compiler = "gcc", Arguments = ["-c", "a.c", "-fdebug-prefix-map=/x=/y"], WorkingDirectory = "/w/src",
            BaseDir = BaseDir.From("/w"),
        });
        Assert.DoesNotContain(c!.Arguments, a => a.StartsWith("-ffile-prefix-map"));
        var (d, _) = GccCommandLine.Parse(new CompileInvocation
        {
            Compiler = "gcc", Arguments = ["-c", "a.c"], WorkingDirectory = "/w/src",
            BaseDir = BaseDir.From("/w")
        });
        Assert.Contains("-ffile-prefix-map=/w=.", d!.Arguments);
    }

    [Theory]
    [InlineData("/w/src/a.c", "<base>/src/a.c")]
    [InlineData("-I/w/include", "-I<base>/include")]
    [InlineData("/w", "<base>")]
    [InlineData("/wx/a.c", "/wx/a.c")]
    [InlineData("/usr/include/stdio.h", "/usr/include/stdio.h")]
    public void Paths_under_the_base_are_written_with_the_marker(string text, string written) =>
        Assert.Equal(written, BaseDir.From("/w/")!.Rewrite(text));

    [Fact]
    public void The_file_system_root_is_not_a_base_directory() => Assert.Null(BaseDir.From("/"));
}
