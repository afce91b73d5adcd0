using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>
/// Attacks on the cache with the real compilers: each test changes what the compiler reads by one
/// mechanism after a result is stored, then checks that what the cache delivers is byte for byte
/// what the bare compiler produces from the same files now.
/// </summary>
public class AdversarialTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileHashMemo _memo = new();

    public void Dispose() => _dir.Dispose();

    private CompileCache Cache() => CompileCache.Open(_dir["cache"], _memo);

    /// <summary>A file written in the past (so its stamp is settled), its folder too.</summary>
    private void Write(string name, string text)
    {
        string path = _dir.Write(Path.Join("src", name), text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    private void Folder(string name)
    {
        Directory.CreateDirectory(_dir["src/" + name]);
        Directory.SetLastWriteTimeUtc(_dir["src/" + name], DateTime.UtcNow.AddMinutes(-1));
    }

    private CompileInvocation Invocation(string compiler, string[] args, IReadOnlyDictionary<string, string>? env = null,
        string cwd = "src") =>
        new() { Compiler = compiler, Arguments = args, WorkingDirectory = _dir[cwd], Environment = env };

    /// <summary>
    /// Runs the bare compiler, then the cache, on the same files and arguments; asserts the same exit
    /// code, messages and outputs, byte for byte. Returns the cache's outcome.
    /// </summary>
    private CompileOutcome Same(CompileCache cache, string compiler, string[] args, string[] outputs,
        IReadOnlyDictionary<string, string>? env = null, string cwd = "src")
    {
        var inv = Invocation(compiler, args, env, cwd);
        foreach (string o in outputs) File.Delete(Path.Join(inv.WorkingDirectory, o));
        var bare = CompilerProcess.Run(CompilerIdentity.Resolve(compiler, inv.WorkingDirectory, inv.GetEnvironmentVariable("PATH"))!, args,
            inv.WorkingDirectory, env);
        var expected = outputs.Select(o => File.Exists(Path.Join(inv.WorkingDirectory, o))
            ? File.ReadAllBytes(Path.Join(inv.WorkingDirectory, o)) : null).ToList();
        foreach (string o in outputs) File.Delete(Path.Join(inv.WorkingDirectory, o));
        var cached = cache.Compile(inv);
        Assert.True(bare.ExitCode == cached.ExitCode, CompilerProcess.Text(cached.Stderr));
        Assert.Equal(CompilerProcess.Text(bare.Stderr), CompilerProcess.Text(cached.Stderr));
        for (int i = 0; i < outputs.Length; i++)
        {
            string path = Path.Join(inv.WorkingDirectory, outputs[i]);
            Assert.True(expected[i] is not null == File.Exists(path), outputs[i]);
            if (expected[i] is not null)
                Assert.True(expected[i]!.SequenceEqual(File.ReadAllBytes(path)),
                    $"{outputs[i]} differs from the compiler's ({cached.Outcome.Kind} {cached.Outcome.Reason})");
        }
        return cached.Outcome;
    }

    private CompileOutcome Same(CompileCache cache, params string[] args) => Same(cache, "gcc", args, ["a.o"]);

    /// <summary>Compiles twice (a miss, then a hit), changes the files, and expects the compiler's new output.</summary>
    private void StoredThenChanged(string[] args, Action change, string compiler = "gcc")
    {
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Same(cache, compiler, args, ["a.o"]).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, compiler, args, ["a.o"]).Kind);
        change();
        Assert.NotEqual(OutcomeKind.Hit, Same(cache, compiler, args, ["a.o"]).Kind);
        // Once stored again, the new files hit, still equal to the compiler's output.
        var again = Same(cache, compiler, args, ["a.o"]);
        Assert.True(again.Kind is OutcomeKind.Hit or OutcomeKind.NonCacheable, again.Kind.ToString());
    }

    // ---- 1. Headers that would be found first if they existed ----

    [Fact]
    public void A_header_created_beside_the_source_shadows_one_found_through_I()
    {
        Write("a.c", "#include \"h.h\"\nint v = H;\n");
        Write("inc/h.h", "#define H 1\n");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-Iinc"], () => Write("h.h", "#define H 2\n"));
    }

    [Fact]
    public void A_header_created_beside_an_including_header_shadows_one_found_later()
    {
        Write("a.c", "#include \"detail/mid.h\"\nint v = LEAF;\n");
        Write("inc/detail/mid.h", "#include \"leaf.h\"\n");
        Write("inc2/leaf.h", "#define LEAF 1\n");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-Iinc", "-Iinc2"], () => Write("inc/detail/leaf.h", "#define LEAF 2\n"));
    }

    [Fact]
    public void Nested_include_folders_attribute_a_header_to_the_folder_it_was_found_in()
    {
        Write("a.c", "#include <x.h>\nint v = X;\n");
        Write("inc/sub/x.h", "#define X 1\n");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-Iinc", "-Iinc/sub"], () => Write("inc/x.h", "#define X 2\n"));
    }

    [Fact]
    public void A_forced_include_is_looked_for_in_the_working_directory_first()
    {
        Write("a.c", "int v = CFG;\n");
        Write("inc/cfg.h", "#define CFG 1\n");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-Iinc", "-include", "cfg.h"], () => Write("cfg.h", "#define CFG 2\n"));
    }

    [Theory]
    [InlineData("-isystem", "<h.h>")]
    [InlineData("-iquote", "\"h.h\"")]
    [InlineData("-idirafter", "<h.h>")]
    [InlineData("-I", "<h.h>")]
    public void Joined_include_folder_spellings_are_include_folders(string option, string include)
    {
        Write("a.c", $"#include {include}\nint v = H;\n");
        Write("inc2/h.h", "#define H 1\n");
        Folder("inc1");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", option + "inc1", option + "inc2"], () => Write("inc1/h.h", "#define H 2\n"));
    }

    [Fact]
    public void Folders_from_CPATH_are_include_folders()
    {
        Write("a.c", "#include <h.h>\nint v = H;\n");
        Write("inc2/h.h", "#define H 1\n");
        Folder("inc1");
        var env = TestEnvironment.With(("CPATH", _dir["src/inc1"] + ":" + _dir["src/inc2"]));
        var cache = Cache();
        string[] args = ["-c", "a.c", "-o", "a.o"];
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o"], env).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "gcc", args, ["a.o"], env).Kind);
        Write("inc1/h.h", "#define H 2\n");
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o"], env).Kind);
    }

    [Fact]
    public void A_header_that_has_include_did_not_find_the_first_time_is_a_miss_when_it_appears()
    {
        Write("a.c", "#if __has_include(<opt.h>)\n#include <opt.h>\n#else\n#define OPT 0\n#endif\nint v = OPT;\n");
        Folder("inc");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-Iinc"], () => Write("inc/opt.h", "#define OPT 7\n"));
    }

    [Fact]
    public void An_include_next_target_shadowed_in_a_folder_between_is_a_miss()
    {
        Write("a.c", "#include <h.h>\nint v = A + B;\n");
        Write("inc1/h.h", "#include_next <h.h>\n#define A 1\n");
        Write("inc3/h.h", "#define B 3\n");
        Folder("inc2");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-Iinc1", "-Iinc2", "-Iinc3"], () => Write("inc2/h.h", "#define B 2\n"));
    }

    [Fact]
    public void Angle_includes_do_not_watch_iquote_folders()
    {
        // A false miss the old model had: #include <…> never searches -iquote folders.
        Write("a.c", "#include <h.h>\nint v = H;\n");
        Write("inc/h.h", "#define H 1\n");
        Folder("q");
        var cache = Cache();
        string[] args = ["-c", "a.c", "-o", "a.o", "-iquote", "q", "-Iinc"];
        Assert.Equal(OutcomeKind.Miss, Same(cache, args).Kind);
        Write("q/h.h", "#define H 2\n");
        Assert.Equal(OutcomeKind.Hit, Same(cache, args).Kind);
    }

    // ---- 2. Inputs that change while the compiler runs ----

    [Fact]
    public void A_header_saved_while_the_compiler_runs_is_not_recorded()
    {
        // A "gcc" that saves the header right after compiling: the object holds the old text, the disk the new.
        Write("a.c", "#include \"h.h\"\nint v = H;\n");
        Write("h.h", "#define H 1\n");
        string bin = _dir["bin"];
        Directory.CreateDirectory(bin);
        string script = Path.Join(bin, "gcc");
        File.WriteAllText(script, $"#!/bin/sh\n/usr/bin/gcc \"$@\" || exit $?\nprintf '#define H 2\\n' > '{_dir["src/h.h"]}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var cache = Cache();
        var first = cache.Compile(Invocation(script, ["-c", "a.c", "-o", "a.o"]));
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("changed_while_compiling", first.Outcome.Reason);
        File.SetLastWriteTimeUtc(_dir["src/h.h"], DateTime.UtcNow.AddMinutes(-1));
        Assert.NotEqual(OutcomeKind.Hit, Same(cache, "gcc", ["-c", "a.c", "-o", "a.o"], ["a.o"]).Kind);
    }

    [Fact]
    public void A_header_saved_between_two_compiles_of_one_batch_is_recorded_with_what_the_second_read()
    {
        // One MSBuild task execution looks at each input once; a header saved in the middle of it
        // must not be recorded with its old hash beside an object built from its new text.
        Write("a.c", "#include \"h.h\"\nint a = H;\n");
        Write("b.c", "#include \"h.h\"\nint b = H;\n");
        Write("h.h", "#define H 1\n");
        var batch = CompileCache.Open(_dir["cache"], _memo, snapshotInputs: true);
        Assert.Equal(OutcomeKind.Miss, batch.Compile(Invocation("gcc", ["-c", "a.c", "-o", "a.o"])).Outcome.Kind);
        Write("h.h", "#define H 2\n");
        Assert.Equal(OutcomeKind.Miss, batch.Compile(Invocation("gcc", ["-c", "b.c", "-o", "b.o"])).Outcome.Kind);
        Write("h.h", "#define H 1\n");
        Same(CompileCache.Open(_dir["cache"], _memo, snapshotInputs: true), "gcc", ["-c", "b.c", "-o", "b.o"], ["b.o"]);
    }

    // ---- 3. Files the compiler reads that are not in its dependency output ----

    [Fact]
    public void An_incbin_source_is_not_cached()
    {
        Write("a.c", "__asm__(\".section .rodata\\n.incbin \\\"blob.bin\\\"\\n.text\");\nint v;\n");
        Write("blob.bin", "one");
        var cache = Cache();
        Assert.Equal("hidden_input", Same(cache, "-c", "a.c", "-o", "a.o").Reason);
        Write("blob.bin", "two!");
        Assert.Equal("hidden_input", Same(cache, "-c", "a.c", "-o", "a.o").Reason);
    }

    [Fact]
    public void A_sanitizer_coverage_allowlist_enters_the_key_by_content()
    {
        Write("a.c", "int f(int x){return x+1;}\nint g(int x){return x*2;}\n");
        Write("allow.txt", "src:*\nfun:f\n");
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-fsanitize-coverage=trace-pc-guard", "-fsanitize-coverage-allowlist=allow.txt"],
            () => Write("allow.txt", "src:*\nfun:g\n"), compiler: "clang");
    }

    [Fact]
    public void A_user_MMD_still_verifies_system_headers_and_the_user_gets_the_compilers_own_depfile()
    {
        Write("a.c", "#include <v.h>\n#include \"u.h\"\nint v = V + U;\n");
        Write("vendor/v.h", "#define V 1\n");
        Write("u.h", "#define U 1\n");
        string[] args = ["-c", "a.c", "-o", "a.o", "-isystem", "vendor", "-MMD", "-MP", "-MF", "a.d"];
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o", "a.d"]).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "gcc", args, ["a.o", "a.d"]).Kind);
        Assert.DoesNotContain("v.h", File.ReadAllText(_dir["src/a.d"]));
        Write("vendor/v.h", "#define V 2\n");
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o", "a.d"]).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "gcc", args, ["a.o", "a.d"]).Kind);
    }

    /// <summary>Builds p.h.gch from p.h as it is now, in the past.</summary>
    private void Precompile(string header)
    {
        Assert.Equal(0, CompilerProcess.Run("/usr/bin/gcc", ["-x", "c-header", header, "-o", header + ".gch"], _dir["src"]).ExitCode);
        File.SetLastWriteTimeUtc(_dir["src/" + header + ".gch"], DateTime.UtcNow.AddMinutes(-1));
        File.SetLastWriteTimeUtc(_dir["src"], DateTime.UtcNow.AddMinutes(-1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_precompiled_header_that_changes_is_a_miss(bool forcedInclude)
    {
        // gcc reads p.h.gch instead of p.h and lists neither in its depfile.
        Write("a.c", forcedInclude ? "int v = PV;\n" : "#include \"p.h\"\nint v = PV;\n");
        Write("p.h", "#define PV 1\n");
        Precompile("p.h");
        string[] args = forcedInclude ? ["-c", "a.c", "-o", "a.o", "-include", "p.h"] : ["-c", "a.c", "-o", "a.o"];
        StoredThenChanged(args, () =>
        {
            Write("p.h", "#define PV 2\n");
            Precompile("p.h");
        });
    }

    [Fact]
    public void A_precompiled_header_that_appears_is_a_miss()
    {
        Write("a.c", "#include \"p.h\"\nint v = PV;\n");
        Write("p.h", "#define PV 2\n");
        Write("stale/p.h", "#define PV 1\n");
        StoredThenChanged(["-c", "a.c", "-o", "a.o"], () =>
        {
            // A precompiled header built from other text: gcc uses it all the same.
            Assert.Equal(0, CompilerProcess.Run("/usr/bin/gcc", ["-x", "c-header", "stale/p.h", "-o", "p.h.gch"], _dir["src"]).ExitCode);
        });
    }

    // ---- 4. Programs outside the compiler binary ----

    [Fact]
    public void A_failure_of_the_environment_is_not_replayed_once_it_is_fixed()
    {
        // A PATH where gcc is found but its assembler is not.
        Write("a.c", "int v = 1;\n");
        string bin = _dir["bin"];
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Join(bin, "gcc"), "/usr/bin/gcc");
        var broken = TestEnvironment.WithPath(bin);
        var cache = Cache();
        var failed = Same(cache, "gcc", ["-c", "a.c", "-o", "a.o"], ["a.o"], broken);
        Assert.Equal("environment_failure", failed.Reason);
        var fixedEnv = new Dictionary<string, string>(broken) { ["PATH"] = bin + ":/usr/bin:/bin" };
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", ["-c", "a.c", "-o", "a.o"], ["a.o"], fixedEnv).Kind);
    }

    [Fact]
    public void A_changed_assembler_found_through_B_is_a_new_compiler()
    {
        Write("a.c", "int v = 1;\n");
        string b = _dir["tools"];
        Directory.CreateDirectory(b);
        string asm = Path.Join(b, "as");
        File.WriteAllText(asm, "#!/bin/sh\nexec /usr/bin/as \"$@\"\n");
        File.SetUnixFileMode(asm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetLastWriteTimeUtc(asm, DateTime.UtcNow.AddMinutes(-1));
        StoredThenChanged(["-c", "a.c", "-o", "a.o", "-B", b + "/"], () =>
        {
            File.WriteAllText(asm, "#!/bin/sh\nexec /usr/bin/as --defsym zc_marker=1 \"$@\"\n");
            File.SetLastWriteTimeUtc(asm, DateTime.UtcNow.AddMinutes(-1));
        });
    }

    [Fact]
    public void An_assembler_created_in_an_earlier_PATH_folder_is_a_new_compiler_even_with_the_folders_mtime_set_back()
    {
        // The folder's listing is memoised while its stamp stands (it is settled): creating "as" there must be seen,
        // also when the folder's mtime is then set back to what it was (its ctime still moves).
        Write("a.c", "int v = 1;\n");
        string tools = _dir["tools"];
        Directory.CreateDirectory(tools);
        var past = DateTime.UtcNow.AddMinutes(-1);
        Directory.SetLastWriteTimeUtc(tools, past);
        var env = TestEnvironment.WithPath(tools + ":/usr/bin:/bin");
        var cache = Cache();
        string[] args = ["-c", "a.c", "-o", "a.o"];
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o"], env).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "gcc", args, ["a.o"], env).Kind);
        string asm = Path.Join(tools, "as");
        File.WriteAllText(asm, "#!/bin/sh\nexec /usr/bin/as --defsym zc_marker=1 \"$@\"\n");
        File.SetUnixFileMode(asm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetLastWriteTimeUtc(asm, past);
        Directory.SetLastWriteTimeUtc(tools, past);
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o"], env).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "gcc", args, ["a.o"], env).Kind);
    }

    [Fact]
    public void In_one_batch_a_call_whose_PATH_finds_another_assembler_is_a_new_compiler()
    {
        // A batch identifies each compiler once for the calls that agree on what decides it: PATH is part of that.
        Write("a.c", "int v = 1;\n");
        string plain = _dir["plain"], marked = _dir["marked"];
        Directory.CreateDirectory(plain);
        Directory.CreateDirectory(marked);
        string asm = Path.Join(marked, "as");
        File.WriteAllText(asm, "#!/bin/sh\nexec /usr/bin/as --defsym zc_marker=1 \"$@\"\n");
        File.SetUnixFileMode(asm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetLastWriteTimeUtc(asm, DateTime.UtcNow.AddMinutes(-1));
        Dictionary<string, string> WithPath(string first)
            => TestEnvironment.WithPath(first + ":/usr/bin:/bin");
        var batch = CompileCache.Open(_dir["cache"], _memo, snapshotInputs: true);
        string[] args = ["-c", "a.c", "-o", "a.o"];
        Assert.Equal(OutcomeKind.Miss, Same(batch, "gcc", args, ["a.o"], WithPath(plain)).Kind);
        Assert.Equal(OutcomeKind.Miss, Same(batch, "gcc", args, ["a.o"], WithPath(marked)).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(batch, "gcc", args, ["a.o"], WithPath(plain)).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(batch, "gcc", args, ["a.o"], WithPath(marked)).Kind);
    }

    [Fact]
    public void A_relative_PATH_folder_is_the_calls_not_the_processes()
    {
        // "bin" on PATH means <the call's folder>/bin, wherever the cache runs (the resident server runs elsewhere).
        Write("a.c", "int v = VIA_WRAPPER;\n");
        string gcc = _dir.Write("src/bin/gcc", "#!/bin/sh\nexec /usr/bin/gcc -DVIA_WRAPPER=2 \"$@\"\n");
        File.SetUnixFileMode(gcc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = TestEnvironment.WithPath("bin:/usr/bin:/bin");
        Assert.NotEqual(Path.GetFullPath(_dir["src"]), Path.GetFullPath(Environment.CurrentDirectory));
        var outcome = Same(Cache(), "gcc", ["-c", "a.c", "-o", "a.o"], ["a.o"], env);
        Assert.Equal(OutcomeKind.Miss, outcome.Kind);
    }

    [Fact]
    public void A_wrapper_script_that_runs_what_PATH_finds_is_identified_by_what_it_runs()
    {
        // "gcc" here is a script that runs whichever "realcc" PATH finds first: gcc or clang.
        Write("a.c", "int f(int x) { return x * 3; }\n");
        string bin = _dir["bin"];
        Directory.CreateDirectory(bin);
        string script = Path.Join(bin, "gcc");
        File.WriteAllText(script, "#!/bin/sh\nexec realcc \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetLastWriteTimeUtc(script, DateTime.UtcNow.AddMinutes(-1));
        Dictionary<string, string> Env(string real)
        {
            string dir = _dir["via-" + real];
            if (!Directory.Exists(dir))
            {
                Directory.CreateDirectory(dir);
                File.CreateSymbolicLink(Path.Join(dir, "realcc"), "/usr/bin/" + real);
            }
            return TestEnvironment.WithPath($"{bin}:{dir}:/usr/bin:/bin");
        }
        var cache = Cache();
        string[] args = ["-c", "a.c", "-o", "a.o", "-O2"];
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o"], Env("gcc")).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "gcc", args, ["a.o"], Env("gcc")).Kind);
        Assert.Equal(OutcomeKind.Miss, Same(cache, "gcc", args, ["a.o"], Env("clang")).Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "gcc", args, ["a.o"], Env("clang")).Kind);
    }

    [Theory]
    [InlineData("gcc", "-march=native")]
    [InlineData("gcc", "-mtune=native")]
    [InlineData("rustc", "-Ctarget-cpu=native")]
    public void Native_processor_flags_key_the_host_processor(string compiler, string flag)
    {
        // An object for this processor must not be served to another machine sharing the cache.
        var inv = Invocation(compiler, compiler == "gcc" ? ["-c", "a.c", flag] : [.. RlibArgs, flag]);
        var extras = compiler == "gcc" ? GccCommandLine.Parse(inv).Compile!.KeyExtras
            : RustcCommandLine.Parse(inv, _memo).Compile!.KeyExtras;
        Assert.Equal(HostCpu.Digest(), extras.Single(e => e.Key == "host-cpu").Value);
        Assert.Matches("^[0-9a-f]{64}$", HostCpu.Digest());
        var plain = Invocation(compiler, compiler == "gcc" ? ["-c", "a.c", "-march=x86-64"] : [.. RlibArgs]);
        Assert.DoesNotContain(
            (compiler == "gcc" ? GccCommandLine.Parse(plain).Compile! : RustcCommandLine.Parse(plain, _memo).Compile!).KeyExtras,
            e => e.Key == "host-cpu");
    }

    // ---- 5. Spellings that change the output ----

    [Fact]
    public void Include_folder_spellings_that_change_FILE_key_differently()
    {
        Write("a.c", "#include <h.h>\nconst char *f = F;\n");
        Write("inc/h.h", "#define F __FILE__\n");
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, Same(cache, "-c", "a.c", "-o", "a.o", "-Iinc").Kind);
        Assert.Equal(OutcomeKind.Miss, Same(cache, "-c", "a.c", "-o", "a.o", "-I./inc").Kind);
        Assert.Equal(OutcomeKind.Hit, Same(cache, "-c", "a.c", "-o", "a.o", "-Iinc").Kind);
    }

    [Fact]
    public void With_a_base_directory_a_define_naming_a_path_under_it_is_keyed_as_written()
    {
        Write("one/a.c", "const char *d = DATA;\n");
        Write("two/a.c", "const char *d = DATA;\n");
        var cache = Cache();
        foreach (string checkout in new[] { "one", "two" })
        {
            string root = _dir["src/" + checkout];
            var inv = new CompileInvocation
            {
                Compiler = "gcc", WorkingDirectory = root, BaseDir = Paths.BaseDir.From(root),
                Arguments = ["-c", "a.c", "-o", "a.o", $"-DDATA=\"{root}/data\""],
            };
            var r = cache.Compile(inv);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(OutcomeKind.Miss, r.Outcome.Kind);
            Assert.Contains(root + "/data", System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(Path.Join(root, "a.o"))));
        }
    }

    [Fact]
    public void With_a_base_directory_and_the_users_own_prefix_map_debug_info_is_not_shared_between_checkouts()
    {
        Write("one/a.c", "int v = 1;\n");
        Write("two/a.c", "int v = 1;\n");
        var cache = Cache();
        foreach (string checkout in new[] { "one", "two" })
        {
            string root = _dir["src/" + checkout];
            string[] args = ["-c", "a.c", "-o", "a.o", "-g", "-fdebug-prefix-map=/nowhere=/x"];
            var bare = CompilerProcess.Run("/usr/bin/gcc", args, root);
            Assert.Equal(0, bare.ExitCode);
            byte[] expected = File.ReadAllBytes(Path.Join(root, "a.o"));
            File.Delete(Path.Join(root, "a.o"));
            var r = cache.Compile(new CompileInvocation
            {
                Compiler = "gcc", WorkingDirectory = root, BaseDir = Paths.BaseDir.From(root),
                Arguments = args
            });
            Assert.Equal(expected, File.ReadAllBytes(Path.Join(root, "a.o")));
            Assert.Equal(OutcomeKind.Miss, r.Outcome.Kind);
        }
    }

    [Theory]
    [InlineData("-frecord-command-line")]
    [InlineData("-grecord-command-line")]
    public void Options_recording_the_command_line_in_the_object_are_not_cached(string option)
    {
        Write("a.c", "int v = 1;\n");
        Assert.Equal("unsupported_option", Same(Cache(), "clang", ["-c", "a.c", "-o", "a.o", "-g", option], ["a.o"]).Reason);
    }

    // ---- 7. Rust ----

    /// <summary>The environment with rustup's proxies first on PATH, and a chosen toolchain.</summary>
    private static Dictionary<string, string> RustEnv(string? toolchain = null)
    {
        var env = TestEnvironment.With();
        env["PATH"] = Path.Join(Environment.GetEnvironmentVariable("HOME"), ".cargo", "bin") + ":" + env["PATH"];
        if (toolchain is not null) env["RUSTUP_TOOLCHAIN"] = toolchain;
        return env;
    }

    private static readonly string[] RlibArgs = ["--crate-name", "demo", "--edition=2021", "lib.rs", "--crate-type", "rlib",
        "--emit=dep-info,link", "--out-dir", "out"];

    private CompileOutcome SameRust(CompileCache cache, string[] args, Dictionary<string, string>? env = null)
    {
        Directory.CreateDirectory(_dir["src/out"]);
        return Same(cache, "rustc", args, ["out/libdemo.rlib"], env ?? RustEnv());
    }

    [Fact]
    public void A_static_library_named_by_a_link_attribute_and_rebuilt_is_a_miss()
    {
        void Library(int value)
        {
            Write("native/val.c", $"int val(void) {{ return {value}; }}\n");
            Assert.Equal(0, CompilerProcess.Run("/usr/bin/gcc", ["-c", "val.c", "-o", "val.o"], _dir["src/native"]).ExitCode);
            File.Delete(_dir["src/native/libval.a"]);
            Assert.Equal(0, CompilerProcess.Run("/usr/bin/ar", ["crsD", "libval.a", "val.o"], _dir["src/native"]).ExitCode);
            File.SetLastWriteTimeUtc(_dir["src/native/libval.a"], DateTime.UtcNow.AddMinutes(-1));
        }
        Write("lib.rs",
            "#[link(name = \"val\", kind = \"static\")]\nextern \"C\" { fn val() -> i32; }\npub fn v() -> i32 { unsafe { val() } }\n");
        Library(1);
        string[] args = [.. RlibArgs, "-L", "native=native"];
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, SameRust(cache, args).Kind);
        Assert.Equal(OutcomeKind.Hit, SameRust(cache, args).Kind);
        Library(2);
        Assert.Equal(OutcomeKind.Miss, SameRust(cache, args).Kind);
    }

    [Fact]
    public void A_module_that_becomes_ambiguous_is_not_replayed_as_a_success()
    {
        Write("lib.rs", "mod foo;\npub use foo::X;\n");
        Write("foo.rs", "pub const X: u32 = 1;\n");
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, SameRust(cache, RlibArgs).Kind);
        Assert.Equal(OutcomeKind.Hit, SameRust(cache, RlibArgs).Kind);
        Write("foo/mod.rs", "pub const X: u32 = 2;\n");
        Assert.NotEqual(OutcomeKind.Hit, SameRust(cache, RlibArgs).Kind); // rustc refuses the crate (E0761)
    }

    [Fact]
    public void Rustc_without_emit_still_writes_its_rlib()
    {
        Write("lib.rs", "pub fn f() -> u32 { 1 }\n");
        string[] args = ["--crate-name", "demo", "--edition=2021", "lib.rs", "--crate-type", "rlib", "--out-dir", "out"];
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, SameRust(cache, args).Kind);
        Assert.Equal(OutcomeKind.Hit, SameRust(cache, args).Kind);
    }

    [Fact]
    public void The_rustup_proxy_is_identified_by_the_toolchain_it_runs()
    {
        Write("lib.rs", "pub fn f() -> u32 { 1 }\n");
        var cache = Cache();
        Assert.Equal(OutcomeKind.Miss, SameRust(cache, RlibArgs, RustEnv("stable")).Kind);
        Assert.Equal(OutcomeKind.Hit, SameRust(cache, RlibArgs, RustEnv("stable")).Kind);
        Assert.Equal(OutcomeKind.Miss, SameRust(cache, RlibArgs, RustEnv("nightly")).Kind);
        Assert.Equal(OutcomeKind.Hit, SameRust(cache, RlibArgs, RustEnv("nightly")).Kind);
    }

    [Fact]
    public void A_target_json_is_keyed_by_its_content()
    {
        Write("lib.rs", "pub fn f() {}\n");
        Write("my-target.json", "{\"arch\": \"x86_64\"}");
        CacheableCompile Parse() =>
            RustcCommandLine.Parse(Invocation("rustc", [.. RlibArgs, "--target", "my-target.json"]), new FileHashMemo()).Compile!;
        string before = Parse().KeyExtras.Single(e => e.Key == "target-json").Value;
        Write("my-target.json", "{\"arch\": \"aarch64\"}");
        Assert.NotEqual(before, Parse().KeyExtras.Single(e => e.Key == "target-json").Value);
    }
}
