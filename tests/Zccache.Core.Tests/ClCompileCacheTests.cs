using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>
/// The pipeline with an MSVC-style compiler: Debian's clang-cl behind a wrapper named <c>clang-cl</c>
/// that targets Linux (system headers, ELF objects), as cl-style command lines reach it.
/// </summary>
public class ClCompileCacheTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileHashMemo _memo = new();
    private readonly string _clangCl;

    public ClCompileCacheTests()
    {
        _clangCl = ClangClWrapper.Create(_dir["bin"]);
    }

    public void Dispose() => _dir.Dispose();

    private CompileCache Cache() => CompileCache.Open(_dir["cache"], _memo);

    private CompileResult Compile(CompileCache cache, params string[] args) =>
        cache.Compile(new CompileInvocation { Compiler = _clangCl, Arguments = args, WorkingDirectory = _dir["src"] });

    /// <summary>The same call without the cache.</summary>
    private ProcessResult Bare(params string[] args) => CompilerProcess.Run(_clangCl, args, _dir["src"]);

    private void Source(string name, string text)
    {
        string path = _dir.Write(Path.Join("src", name), text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public void Cold_miss_then_warm_hit_is_byte_identical_with_a_bare_compile()
    {
        Source("a.cpp", "#include \"a.h\"\n#include <stdio.h>\nint f(){ return A + printf(\"x\"); }\n");
        Source("a.h", "#define A 1\n");
        string[] args = ["/nologo", "/c", "/O2", "/EHsc", "/DNAME=1", "/W4", "a.cpp", "/Foa.obj"];
        var cache = Cache();
        var first = Compile(cache, args);
        Assert.True(first.ExitCode == 0, CompilerProcess.Text(first.Stderr) + CompilerProcess.Text(first.Stdout));
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        Assert.Empty(first.Stdout); // our /showIncludes notes are not the user's
        byte[] compiled = File.ReadAllBytes(_dir["src/a.obj"]);
        File.Delete(_dir["src/a.obj"]);

        var second = Compile(cache, args);
        Assert.Equal(OutcomeKind.Hit, second.Outcome.Kind);
        Assert.Equal(compiled, File.ReadAllBytes(_dir["src/a.obj"]));
        Assert.Empty(second.Stdout);

        var bare = Bare(["/nologo", "/c", "/O2", "/EHsc", "/DNAME=1", "/W4", "a.cpp", "/Fobare.obj"]);
        Assert.Equal(0, bare.ExitCode);
        Assert.Equal(File.ReadAllBytes(_dir["src/bare.obj"]), compiled);
    }

    [Fact]
    public void A_header_edit_misses_and_the_old_content_hits_again()
    {
        Source("a.c", "#include \"inc/a.h\"\nint f(void){ return A; }\n");
        Source("inc/a.h", "#define A 1\n");
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Compile(cache, "/c", "a.c").Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, "/c", "a.c").Outcome.Kind);
        Source("inc/a.h", "#define A 2\n");
        var edited = Compile(cache, "/c", "a.c");
        Assert.Equal("input_changed", edited.Outcome.Reason);
        Assert.EndsWith("a.h", edited.Outcome.ChangedInput);
        byte[] cached = File.ReadAllBytes(_dir["src/a.obj"]);
        Assert.Equal(0, Bare("/c", "a.c", "/Fobare.obj").ExitCode);
        Assert.Equal(File.ReadAllBytes(_dir["src/bare.obj"]), cached);
        Source("inc/a.h", "#define A 1\n");
        Assert.Equal(OutcomeKind.Hit, Compile(cache, "/c", "a.c").Outcome.Kind);
    }

    [Fact]
    public void A_new_header_shadowing_a_used_one_is_a_miss()
    {
        Source("s.c", "#include <h.h>\nint v = H;\n");
        Source("inc2/h.h", "#define H 2\n");
        Directory.CreateDirectory(_dir["src/inc1"]);
        var cache = Cache();
        string[] args = ["/c", "s.c", "/Iinc1", "-I", "inc2", "/Fo:s.obj".Replace("/Fo:", "/Fo")];
        Assert.Equal(OutcomeKind.Miss, Compile(cache, args).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, args).Outcome.Kind);
        Source("inc1/h.h", "#define H 1\n");
        var shadowed = Compile(cache, args);
        Assert.Equal("include_shadowed", shadowed.Outcome.Reason);
        byte[] cached = File.ReadAllBytes(_dir["src/s.obj"]);
        Assert.Equal(0, Bare("/c", "s.c", "/Iinc1", "-I", "inc2", "/Fobare.obj").ExitCode);
        Assert.Equal(File.ReadAllBytes(_dir["src/bare.obj"]), cached);
    }

    [Fact]
    public void Include_notes_the_user_asked_for_are_kept_and_replayed()
    {
        Source("a.c", "#include \"a.h\"\nint f(void){ return A; }\n");
        Source("a.h", "#define A 1\n");
        var cache = Cache();
        var first = Compile(cache, "/c", "/showIncludes", "a.c");
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        Assert.Equal(CompilerProcess.Text(Bare("/c", "/showIncludes", "a.c").Stdout), CompilerProcess.Text(first.Stdout));
        Assert.Contains("Note: including file: ./a.h", CompilerProcess.Text(first.Stdout));
        var second = Compile(cache, "/c", "/showIncludes", "a.c");
        Assert.Equal(OutcomeKind.Hit, second.Outcome.Kind);
        Assert.Equal(first.Stdout, second.Stdout);
        // Without /showIncludes: another entry, and no notes in the output.
        var plain = Compile(cache, "/c", "a.c");
        Assert.Equal(OutcomeKind.Miss, plain.Outcome.Kind);
        Assert.DoesNotContain("Note: including file", CompilerProcess.Text(plain.Stdout));
    }

    [Fact]
    public void A_compile_error_is_cached_and_replayed_with_its_location()
    {
        Source("bad.c", "#include \"a.h\"\nint f(void){ return undeclared; }\n");
        Source("a.h", "#define A 1\n");
        var cache = Cache();
        var first = Compile(cache, "/c", "bad.c");
        Assert.NotEqual(0, first.ExitCode);
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        Assert.Contains("bad.c(2,21): error:", CompilerProcess.Text(first.Stderr));
        var second = Compile(cache, "/c", "bad.c");
        Assert.Equal(OutcomeKind.CachedError, second.Outcome.Kind);
        Assert.Equal(first.ExitCode, second.ExitCode);
        Assert.Equal(first.Stderr, second.Stderr);
        Assert.False(File.Exists(_dir["src/bad.obj"]));
    }

    [Theory]
    [InlineData("program_database", "cl", "/Zi")]
    [InlineData("program_database", "cl", "/ZI")]
    [InlineData("precompiled_header", "clang-cl", "/Ycstdafx.h")]
    [InlineData("precompiled_header", "clang-cl", "/Yustdafx.h")]
    [InlineData("preprocess_only", "clang-cl", "/E")]
    [InlineData("preprocess_only", "clang-cl", "/EP")]
    [InlineData("unsupported_option", "clang-cl", "/FAs")]
    public void Non_cacheable_calls_run_plainly_and_are_counted_by_reason(string reason, string name, string option)
    {
        Source("a.c", "int f(void){ return 1; }\n");
        Source("stdafx.h", "\n");
        // cl's reasons are checked through a wrapper named cl (clang-cl underneath).
        string compiler = name == "cl" ? ClangClWrapper.Create(_dir["clbin"], "cl") : _clangCl;
        var cache = Cache();
        var r = cache.Compile(new CompileInvocation
        {
            Compiler = compiler, Arguments = ["/c", option, "a.c"],
            WorkingDirectory = _dir["src"]
        });
        Assert.Equal(OutcomeKind.NonCacheable, r.Outcome.Kind);
        Assert.Equal(reason, r.Outcome.Reason);
    }

    [Fact]
    public void Clang_cl_zi_is_z7_and_cached()
    {
        Source("a.c", "int f(void){ return 1; }\n");
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Compile(cache, "/c", "/Zi", "a.c").Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, "/c", "/Zi", "a.c").Outcome.Kind);
    }

    [Fact]
    public void A_source_after_double_dash_is_compiled_with_the_include_notes_still_taken()
    {
        Source("a.c", "#include \"a.h\"\nint f(void){ return A; }\n");
        Source("a.h", "#define A 1\n");
        var cache = Cache();
        var first = Compile(cache, "/c", "/Foa.obj", "--", _dir["src/a.c"]);
        Assert.True(first.ExitCode == 0, CompilerProcess.Text(first.Stderr));
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, "/c", "/Foa.obj", "--", _dir["src/a.c"]).Outcome.Kind);
        Source("a.h", "#define A 2\n");
        Assert.Equal("input_changed", Compile(cache, "/c", "/Foa.obj", "--", _dir["src/a.c"]).Outcome.Reason);
    }

    [Fact]
    public void Linking_calls_are_not_cached()
    {
        Source("a.c", "int main(void){ return 0; }\n");
        var r = Compile(Cache(), "a.c");
        Assert.Equal(OutcomeKind.NonCacheable, r.Outcome.Kind);
        Assert.Equal("linking", r.Outcome.Reason);
    }

    [Fact]
    public void The_cl_variable_enters_the_key()
    {
        Source("a.c", "int f(void){ return V; }\n");
        var cache = Cache();
        CompileResult With(string cl) => cache.Compile(new CompileInvocation
        {
            Compiler = _clangCl, Arguments = ["/c", "a.c"], WorkingDirectory = _dir["src"],
            Environment = TestEnvironment.With(("CL", cl)),
        });
        Assert.Equal(OutcomeKind.Miss, With("/DV#1").Outcome.Kind);
        byte[] one = File.ReadAllBytes(_dir["src/a.obj"]);
        Assert.Equal(OutcomeKind.Miss, With("/DV#2").Outcome.Kind);
        Assert.NotEqual(one, File.ReadAllBytes(_dir["src/a.obj"]));
        Assert.Equal(OutcomeKind.Hit, With("/DV#1").Outcome.Kind);
        Assert.Equal(one, File.ReadAllBytes(_dir["src/a.obj"]));
    }
}

/// <summary>Debian's clang-cl-14 behind a script named like the compiler, compiling for Linux (system headers, ELF objects).</summary>
public static class ClangClWrapper
{
    public static string Create(string directory, string name = "clang-cl", string target = "x86_64-pc-linux-gnu")
    {
        Directory.CreateDirectory(directory);
        string path = Path.Join(directory, name);
        File.WriteAllText(path, $"#!/bin/sh\nexec clang-cl-14 --target={target} \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }
}
