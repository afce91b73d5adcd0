using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>The pipeline with the real gcc on real files.</summary>
public class CompileCacheTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileHashMemo _memo = new();

    public void Dispose() => _dir.Dispose();

    private CompileCache Cache() => CompileCache.Open(_dir["cache"], _memo);

    private CompileResult Compile(CompileCache cache, string compiler = "gcc", SessionRecorder? session = null, params string[] args) =>
        cache.Compile(new CompileInvocation { Compiler = compiler, Arguments = args, WorkingDirectory = _dir["src"] }, session);

    private void Source(string name, string text)
    {
        string path = _dir.Write(Path.Join("src", name), text);
        // Put mtimes in the past so the memo does not treat the files as racy.
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public void Miss_then_hit_with_identical_object()
    {
        Source("a.c", "#include \"a.h\"\nint f(void){return A;}\n");
        Source("a.h", "#define A 1\n");
        var cache = Cache();
        var first = Compile(cache, args: ["-c", "a.c", "-o", "a.o", "-O2"]);
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        Assert.Equal("context_not_found", first.Outcome.Reason);
        byte[] compiled = File.ReadAllBytes(_dir["src/a.o"]);
        File.Delete(_dir["src/a.o"]);

        var second = Compile(cache, args: ["-c", "a.c", "-o", "a.o", "-O2"]);
        Assert.Equal(OutcomeKind.Hit, second.Outcome.Kind);
        Assert.Equal(compiled, File.ReadAllBytes(_dir["src/a.o"]));
        Assert.True(second.Outcome.OriginalNs > 0);
    }

    [Fact]
    public void The_compiler_name_enters_the_key_even_when_the_binary_is_shared()
    {
        // clang++ is a symlink to clang, and compiles a .c file as C++.
        Source("a.c", "int f(void){return 1;}\n");
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Compile(cache, "clang", args: ["-c", "a.c", "-o", "c.o"]).Outcome.Kind);
        Assert.Equal(OutcomeKind.Miss, Compile(cache, "clang++", args: ["-c", "a.c", "-o", "c.o"]).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, "clang", args: ["-c", "a.c", "-o", "c.o"]).Outcome.Kind);
    }

    [Theory]
    [InlineData("emcc", "a.c")]
    [InlineData("em++", "a.cpp")]
    public void Emscripten_compiles_are_cached_like_clang(string compiler, string source)
    {
        Source("inc.h", "#define V 3\n");
        Source(source, "#include \"inc.h\"\n#include <stdlib.h>\nint f(int x){return x*V + abs(x);}\n");
        var cache = Cache();
        var first = Compile(cache, compiler, args: ["-c", source, "-O2", "-o", "a.o"]);
        Assert.True(first.ExitCode == 0, CompilerProcess.Text(first.Stderr));
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        byte[] compiled = File.ReadAllBytes(_dir["src/a.o"]);
        File.Delete(_dir["src/a.o"]);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, compiler, args: ["-c", source, "-O2", "-o", "a.o"]).Outcome.Kind);
        Assert.Equal(compiled, File.ReadAllBytes(_dir["src/a.o"]));
        // What emcc itself produces, with no cache.
        var plain = CompilerProcess.Run(CompilerIdentity.Resolve(compiler, "/")!, ["-c", source, "-O2", "-o", "plain.o"], _dir["src"]);
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(compiled, File.ReadAllBytes(_dir["src/plain.o"]));
        Source("inc.h", "#define V 4\n");
        Assert.Equal("input_changed", Compile(cache, compiler, args: ["-c", source, "-O2", "-o", "a.o"]).Outcome.Reason);
    }

    [Fact]
    public void A_changed_header_is_a_miss_with_its_reason()
    {
        Source("a.c", "#include \"a.h\"\nint f(void){return A;}\n");
        Source("a.h", "#define A 1\n");
        var cache = Cache();
        Compile(cache, args: ["-c", "a.c"]);
        Source("a.h", "#define A 2\n");
        var again = Compile(cache, args: ["-c", "a.c"]);
        Assert.Equal(OutcomeKind.Miss, again.Outcome.Kind);
        Assert.Equal("input_changed", again.Outcome.Reason);
        // Back to the first content: the first entry is still there.
        Source("a.h", "#define A 1\n");
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args: ["-c", "a.c"]).Outcome.Kind);
    }

    [Fact]
    public void A_new_header_shadowing_a_used_one_is_a_miss()
    {
        Source("s.c", "#include <h.h>\n#include <stdio.h>\nint v = H;\n");
        Source("inc2/h.h", "#define H 2\n");
        Directory.CreateDirectory(_dir["src/inc1"]);
        Directory.SetLastWriteTimeUtc(_dir["src/inc1"], DateTime.UtcNow.AddMinutes(-1));
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Compile(cache, args: ["-c", "s.c", "-Iinc1", "-Iinc2"]).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args: ["-c", "s.c", "-Iinc1", "-Iinc2"]).Outcome.Kind);
        Source("inc1/h.h", "#define H 1\n");
        var shadowed = Compile(cache, args: ["-c", "s.c", "-Iinc1", "-Iinc2"]);
        Assert.Equal(OutcomeKind.Miss, shadowed.Outcome.Kind);
        Assert.Equal("include_shadowed", shadowed.Outcome.Reason);
        // A header named like a system one, in a -I directory, shadows it too.
        Source("inc1/stdio.h", "#define MY_STDIO 1\n");
        Assert.Equal(OutcomeKind.Miss, Compile(cache, args: ["-c", "s.c", "-Iinc1", "-Iinc2"]).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args: ["-c", "s.c", "-Iinc1", "-Iinc2"]).Outcome.Kind);
    }

    [Fact]
    public void Time_macros_are_not_cached_unless_source_date_epoch_is_set()
    {
        Source("t.c", "const char *when = __DATE__;\n");
        var cache = Cache();
        var r = Compile(cache, args: ["-c", "t.c"]);
        Assert.Equal(OutcomeKind.NonCacheable, r.Outcome.Kind);
        Assert.Equal("time_macros", r.Outcome.Reason);
        Assert.Equal(OutcomeKind.NonCacheable, Compile(cache, args: ["-c", "t.c"]).Outcome.Kind);

        var env = TestEnvironment.With(("SOURCE_DATE_EPOCH", "1700000000"));
        var inv = new CompileInvocation { Compiler = "gcc", Arguments = ["-c", "t.c"], WorkingDirectory = _dir["src"], Environment = env };
        Assert.Equal(OutcomeKind.Miss, cache.Compile(inv).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, cache.Compile(inv).Outcome.Kind);
    }

    [Fact]
    public void Failed_compiles_are_cached_and_replayed()
    {
        Source("bad.c", "int f(void){ return undeclared; }\n");
        var cache = Cache();
        var first = Compile(cache, args: ["-c", "bad.c"]);
        Assert.NotEqual(0, first.ExitCode);
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        var second = Compile(cache, args: ["-c", "bad.c"]);
        Assert.Equal(OutcomeKind.CachedError, second.Outcome.Kind);
        Assert.Equal(first.ExitCode, second.ExitCode);
        Assert.Equal(first.Stderr, second.Stderr);
        Assert.Contains("undeclared", CompilerProcess.Text(second.Stderr));
        Assert.False(File.Exists(_dir["src/bad.o"]));
    }

    [Fact]
    public void A_failure_to_write_the_object_is_not_replayed()
    {
        Source("w.c", "int w;\n");
        var cache = Cache();
        var failed = Compile(cache, args: ["-c", "w.c", "-o", "missing-dir/w.o"]);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Equal("output_not_writable", failed.Outcome.Reason);
        Directory.CreateDirectory(_dir["src/missing-dir"]);
        var ok = Compile(cache, args: ["-c", "w.c", "-o", "missing-dir/w.o"]);
        Assert.Equal(0, ok.ExitCode);
        Assert.True(File.Exists(_dir["src/missing-dir/w.o"]));
    }

    [Fact]
    public void Hits_put_the_object_in_place_with_a_fresh_mtime()
    {
        Source("m.c", "int m;\n");
        var cache = Cache();
        Compile(cache, args: ["-c", "m.c"]);
        File.Delete(_dir["src/m.o"]);
        var before = DateTime.UtcNow.AddSeconds(-1);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args: ["-c", "m.c"]).Outcome.Kind);
        Assert.True(File.GetLastWriteTimeUtc(_dir["src/m.o"]) >= before);
    }

    [Fact]
    public void A_user_depfile_is_produced_on_miss_and_hit()
    {
        Source("d.c", "#include \"d.h\"\nint x;\n");
        Source("d.h", "\n");
        Directory.CreateDirectory(_dir["src/out"]);
        var cache = Cache();
        Compile(cache, args: ["-c", "d.c", "-o", "out/d.o", "-MMD", "-MF", "out/d.d"]);
        string depfile = File.ReadAllText(_dir["src/out/d.d"]);
        Assert.Contains("d.h", depfile);
        File.Delete(_dir["src/out/d.d"]);
        File.Delete(_dir["src/out/d.o"]);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args: ["-c", "d.c", "-o", "out/d.o", "-MMD", "-MF", "out/d.d"]).Outcome.Kind);
        Assert.Equal(depfile, File.ReadAllText(_dir["src/out/d.d"]));
    }

    [Fact]
    public void Non_cacheable_calls_still_run_and_are_counted()
    {
        Source("m.c", "int main(void){return 0;}\n");
        var cache = Cache();
        var layout = cache.Layout!;
        var folder = new SessionFolder(layout, SessionId.New());
        folder.EnsureCreated(Environment.ProcessId, false, _dir.Path);
        var recorder = new SessionRecorder(folder, "/p.csproj");

        var r = Compile(cache, session: recorder, args: ["m.c", "-o", "m"]);
        Assert.Equal(0, r.ExitCode);
        Assert.True(File.Exists(_dir["src/m"]));
        Assert.Equal("linking", r.Outcome.Reason);
        Compile(cache, session: recorder, args: ["-c", "m.c"]);
        Compile(cache, session: recorder, args: ["-c", "m.c"]);

        var total = folder.Aggregate().Total;
        Assert.Equal((3L, 1L, 1L, 1L), (total.Compilations, total.Hits, total.Misses, total.NonCacheable));
    }

    [Fact]
    public void A_missing_compiler_is_a_clear_error()
    {
        var r = Compile(Cache(), compiler: "no-such-gcc-xyz", args: ["-c", "a.c"]);
        Assert.Equal(127, r.ExitCode);
        Assert.Contains(r.Diagnostics, d => d.Code == ZcCodes.CompilerNotFound && d.IsError);
    }

    [Fact]
    public void An_unusable_cache_directory_compiles_plainly_with_a_warning()
    {
        Source("a.c", "int a;\n");
        File.WriteAllText(_dir["blocker"], "a file where the cache dir should be");
        var cache = CompileCache.Open(Path.Join(_dir["blocker"], "cache"), _memo);
        Assert.False(cache.IsEnabled);
        Assert.Equal(ZcCodes.CacheDirUnusable, Assert.Single(cache.StartupDiagnostics).Code);
        var r = Compile(cache, args: ["-c", "a.c"]);
        Assert.Equal(0, r.ExitCode);
        Assert.True(File.Exists(_dir["src/a.o"]));
    }

    [Fact]
    public void A_corrupt_entry_is_a_miss_with_a_warning_and_the_compile_runs()
    {
        Source("a.c", "int a = 1;\n");
        var cache = Cache();
        Compile(cache, args: ["-c", "a.c"]);
        string entries = Path.Join(cache.Layout!.Entries);
        string obj = Directory.EnumerateFiles(entries, "out.object", SearchOption.AllDirectories).Single();
        byte[] bytes = File.ReadAllBytes(obj);
        bytes[^5] ^= 0xff;
        File.WriteAllBytes(obj, bytes);
        var r = Compile(cache, args: ["-c", "a.c"]);
        Assert.Equal(OutcomeKind.Miss, r.Outcome.Kind);
        Assert.Contains(r.Diagnostics, d => d.Code == ZcCodes.CorruptEntry);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args: ["-c", "a.c"]).Outcome.Kind);
    }

    [Fact]
    public void Environment_that_changes_output_enters_the_key_and_nothing_else_does()
    {
        Source("e.c", "int e;\n");
        var cache = Cache();
        CompileResult Run(params (string K, string V)[] vars)
        {
            return cache.Compile(new CompileInvocation
            {
                Compiler = "gcc", Arguments = ["-c", "e.c"], WorkingDirectory = _dir["src"],
                Environment = TestEnvironment.With(vars)
            });
        }
        Assert.Equal(OutcomeKind.Miss, Run().Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Run(("SOME_UNRELATED_VAR", "1")).Outcome.Kind);
        Assert.Equal(OutcomeKind.Miss, Run(("CPATH", _dir.Path)).Outcome.Kind);
        Assert.Equal(OutcomeKind.Miss, Run(("SOURCE_DATE_EPOCH", "1")).Outcome.Kind);
    }

    [Fact]
    public void A_snapshot_cache_serves_one_batch_and_the_next_batch_sees_changes()
    {
        Source("a.c", "#include \"a.h\"\nint f(void){return A;}\n");
        Source("a.h", "#define A 1\n");
        var batch1 = CompileCache.Open(_dir["cache"], _memo, snapshotInputs: true);
        Assert.Equal(OutcomeKind.Miss, Compile(batch1, args: ["-c", "a.c"]).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(batch1, args: ["-c", "a.c"]).Outcome.Kind);
        Source("a.h", "#define A 2\n");
        var batch2 = CompileCache.Open(_dir["cache"], _memo, snapshotInputs: true);
        Assert.Equal(OutcomeKind.Miss, Compile(batch2, args: ["-c", "a.c"]).Outcome.Kind);
    }

    [Fact]
    public void The_file_memo_rehashes_changed_files()
    {
        string path = _dir.Write("m.h", "one");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-2));
        var first = _memo.Get(path)!.Hash;
        Assert.Equal(first, _memo.Get(path)!.Hash);
        File.WriteAllText(path, "two");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        Assert.NotEqual(first, _memo.Get(path)!.Hash);
        Assert.Null(_memo.Get(_dir["missing.h"]));
    }
}
