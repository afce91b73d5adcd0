using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>ZccachePrefixCommand with a fake wrapper that logs each call and then runs the compiler (as distcc would, locally).</summary>
public class PrefixCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileHashMemo _memo = new();
    private readonly string _wrapper;

    public PrefixCommandTests()
    {
        // Logs its arguments, drops its own two, runs the rest: "<wrapper> --tag 'two words' gcc …".
        _wrapper = _dir.Write("bin/wrap",
            $"#!/bin/sh\nprintf '%s|' \"$@\" >> '{_dir["calls.log"]}'\necho >> '{_dir["calls.log"]}'\nshift 2\nexec \"$@\"\n");
        File.SetUnixFileMode(_wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Source("a.c", "#include \"a.h\"\nint f(void){return A;}\n");
        Source("a.h", "#define A 1\n");
        Source("bad.c", "int f(void){return x;}\n");
    }

    public void Dispose() => _dir.Dispose();

    private string Prefix => $"'{_wrapper}' --tag 'two words'";

    private string[] Calls => File.Exists(_dir["calls.log"]) ? File.ReadAllLines(_dir["calls.log"]) : [];

    private CompileResult Compile(CompileCache cache, string? prefix, params string[] args) =>
        cache.Compile(new CompileInvocation
        {
            Compiler = "gcc", Arguments = args, WorkingDirectory = _dir["src"], PrefixCommand = CompileInvocation.SplitPrefix(prefix),
        });

    private void Source(string name, string text)
    {
        string path = _dir.Write(Path.Join("src", name), text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    private byte[] Bare(params string[] args)
    {
        var run = CompilerProcess.Run("gcc", args, _dir["src"]);
        Assert.Equal(0, run.ExitCode);
        return File.ReadAllBytes(Path.Join(_dir["src"], args[^1]));
    }

    [Fact]
    public void A_miss_runs_through_the_prefix_a_hit_never_does_and_the_key_is_the_compilers()
    {
        var cache = CompileCache.Open(_dir["cache"], _memo);
        byte[] bare = Bare("-c", "a.c", "-O2", "-o", "bare.o");

        var miss = Compile(cache, Prefix, "-c", "a.c", "-O2", "-MMD", "-o", "a.o");
        Assert.Equal(OutcomeKind.Miss, miss.Outcome.Kind);
        // The words split as a shell splits them, then the real compiler's path, then its arguments.
        // One call: the cache's own dependency scan for the user's -MMD ran locally.
        string call = Assert.Single(Calls);
        Assert.StartsWith($"--tag|two words|{CompilerIdentity.Resolve("gcc", _dir["src"])}|-c|a.c|-O2|-MMD|-o|a.o|", call);
        Assert.Equal(bare, File.ReadAllBytes(_dir["src/a.o"]));
        Assert.Contains("a.h", File.ReadAllText(_dir["src/a.d"]));

        File.Delete(_dir["src/a.o"]);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, Prefix, "-c", "a.c", "-O2", "-MMD", "-o", "a.o").Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, null, "-c", "a.c", "-O2", "-MMD", "-o", "a.o").Outcome.Kind);
        Assert.Single(Calls);
        Assert.Equal(bare, File.ReadAllBytes(_dir["src/a.o"]));
    }

    [Fact]
    public void A_non_cacheable_call_runs_through_the_prefix_too()
    {
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var run = Compile(cache, Prefix, "-E", "a.c", "-o", "a.i");
        Assert.Equal(OutcomeKind.NonCacheable, run.Outcome.Kind);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("|-E|a.c|", Assert.Single(Calls));
    }

    [Fact]
    public void A_failure_through_the_prefix_comes_back_as_it_is_and_is_not_replayed()
    {
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var bare = CompilerProcess.Run("gcc", ["-c", "bad.c", "-o", "bad.o"], _dir["src"]);
        for (int i = 1; i <= 2; i++)
        {
            var failed = Compile(cache, Prefix, "-c", "bad.c", "-o", "bad.o");
            Assert.Equal(OutcomeKind.Miss, failed.Outcome.Kind);
            Assert.Equal(bare.ExitCode, failed.ExitCode);
            Assert.Equal(CompilerProcess.Text(bare.Stderr), CompilerProcess.Text(failed.Stderr));
            Assert.Empty(failed.Diagnostics);
            Assert.Equal(i, Calls.Length); // the wrapper's own failures look the same: each run is real
        }
    }

    [Fact]
    public void A_prefix_that_cannot_start_warns_once_and_the_compile_runs_locally()
    {
        var cache = CompileCache.Open(_dir["cache"], _memo);
        byte[] bare = Bare("-c", "a.c", "-o", "bare.o");
        var first = Compile(cache, "no-such-wrapper-zc --x", "-c", "a.c", "-o", "a.o");
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        Assert.Equal(ZcCodes.PrefixNotRunnable, Assert.Single(first.Diagnostics).Code);
        Assert.Equal(bare, File.ReadAllBytes(_dir["src/a.o"]));
        var other = Compile(cache, "no-such-wrapper-zc --x", "-c", "a.c", "-O1", "-o", "b.o");
        Assert.Equal(OutcomeKind.Miss, other.Outcome.Kind);
        Assert.Empty(other.Diagnostics);
    }
}

/// <summary>ZccachePrefixCommand=distcc against a real distccd on 127.0.0.1: what the user's depfile says.</summary>
public sealed class DistccDepfileTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Testing.DistccServer _distccd = new();

    public void Dispose()
    {
        _distccd.Dispose();
        _dir.Dispose();
    }

    private byte[] Depfile(string prefix, string obj, params string[] extra)
    {
        var cache = CompileCache.Open(_dir["cache-" + obj.Replace('/', '-')], new FileHashMemo());
        var env = TestEnvironment.With();
        foreach (var (name, value) in _distccd.ClientEnvironment)
            if (value is null) env.Remove(name); else env[name] = value;
        var result = cache.Compile(new CompileInvocation
        {
            Compiler = "gcc", Arguments = ["-c", "a.c", "-o", obj, "-MD", .. extra], WorkingDirectory = _dir["src"],
            PrefixCommand = CompileInvocation.SplitPrefix(prefix), Environment = env,
        });
        Assert.True(result.ExitCode == 0, System.Text.Encoding.UTF8.GetString(result.Stderr));
        Assert.Equal(OutcomeKind.Miss, result.Outcome.Kind);
        return File.ReadAllBytes(_dir["src/" + Path.ChangeExtension(obj, ".d")]);
    }

    [Fact]
    public void The_users_depfile_names_the_object_as_the_compiler_would_and_lies_where_it_would()
    {
        string source = _dir.Write("src/a.c", "#include \"a.h\"\nint f(void){return A;}\n");
        _dir.Write("src/a.h", "#define A 1\n");
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddMinutes(-1));
        File.SetLastWriteTimeUtc(_dir["src/a.h"], DateTime.UtcNow.AddMinutes(-1));
        Directory.CreateDirectory(_dir["src/obj"]);
        string local = System.Text.Encoding.UTF8.GetString(Depfile("", "obj/local.o"));
        Assert.StartsWith("obj/local.o:", local);
        // Through distcc alone the rule would be "distcc.o:" in ./a.d; through the cache it is what gcc writes locally.
        string distcc = System.Text.Encoding.UTF8.GetString(Depfile("distcc", "obj/distcc.o"));
        Assert.Equal(local.Replace("obj/local.o:", "obj/distcc.o:"), distcc);
        Assert.False(File.Exists(_dir["src/a.d"]));
        Assert.Single(_distccd.Compiles);
        // The user's own -MF and -MT are kept as they are.
        string named = System.Text.Encoding.UTF8.GetString(Depfile("distcc", "obj/named.o", "-MF", "obj/named.d", "-MT", "custom"));
        Assert.StartsWith("custom:", named);
    }
}
