using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>rustc's command line, and the pipeline with the real rustc (from PATH, as cargo finds it).</summary>
public class RustcTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileHashMemo _memo = new();

    public void Dispose() => _dir.Dispose();

    private static readonly string Rustc = RealRustc();

    /// <summary>The toolchain's rustc, as cargo passes it to a wrapper (not rustup's proxy).</summary>
    private static string RealRustc()
    {
        var r = CompilerProcess.Run(CompilerIdentity.Resolve("rustc", "/") ?? throw new InvalidOperationException("rustc is not on PATH"),
            ["--print", "sysroot"], "/");
        return Path.Join(CompilerProcess.Text(r.Stdout).Trim(), "bin", "rustc");
    }

    // What cargo passes for a library crate (incremental off, as for registry crates).
    private string[] CargoArgs(string crate = "demo", string type = "lib", params string[] more) =>
    [
        "--crate-name", crate, "--edition=2021", "src/lib.rs", "--error-format=json",
        "--json=diagnostic-rendered-ansi,artifacts,future-incompat", "--crate-type", type, "--emit=dep-info,metadata,link",
        "-C", "embed-bitcode=no", "-C", "debuginfo=2", "-C", "metadata=0123abcd", "-C", "extra-filename=-0123abcd",
        "--out-dir", _dir["work/target/deps"], "-L", "dependency=" + _dir["work/target/deps"], .. more,
    ];

    private (CacheableCompile? Compile, NonCacheable? Why) Parse(params string[] args) =>
        RustcCommandLine.Parse(new CompileInvocation { Compiler = Rustc, Arguments = args, WorkingDirectory = _dir["work"] }, _memo);

    private CompileResult Compile(CompileCache cache, string[] args, Dictionary<string, string>? env = null)
    {
        Directory.CreateDirectory(_dir["work/target/deps"]); // cargo creates the out-dir before it calls rustc
        return cache.Compile(new CompileInvocation { Compiler = Rustc, Arguments = args, WorkingDirectory = _dir["work"], Environment = env });
    }

    private void Source(string relative, string text)
    {
        string path = _dir.Write(Path.Join("work", relative), text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public void A_cargo_library_call_names_its_outputs()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        var (c, why) = Parse(CargoArgs());
        Assert.Null(why);
        string deps = _dir["work/target/deps"];
        Assert.Equal(
            [("dep-info", deps + "/demo-0123abcd.d"), ("metadata", deps + "/libdemo-0123abcd.rmeta"), ("link-rlib", deps + "/libdemo-0123abcd.rlib")],
            c!.Outputs.Select(o => (o.Name, o.Path)));
        Assert.Equal(deps + "/demo-0123abcd.d", c.DependencyFile);
        var (s, _) = Parse(CargoArgs(type: "staticlib"));
        Assert.Contains(s!.Outputs, o => o.Name == "link-staticlib" && o.Path == deps + "/libdemo-0123abcd.a");
    }

    [Theory]
    [InlineData(NonCacheableReason.CrateType, "--crate-type", "bin")]
    [InlineData(NonCacheableReason.CrateType, "--crate-type", "proc-macro")]
    [InlineData(NonCacheableReason.CrateType, "--crate-type", "cdylib")]
    [InlineData(NonCacheableReason.CrateType, "--crate-type", "dylib")]
    [InlineData(NonCacheableReason.Incremental, "-C", "incremental=/tmp/inc")]
    [InlineData(NonCacheableReason.UnsupportedOption, "--emit=asm")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-o", "x")]
    [InlineData(NonCacheableReason.Linking, "--test")]
    [InlineData(NonCacheableReason.MissingInput, "--extern", "dep=/nonexistent/libdep.rlib")]
    [InlineData(NonCacheableReason.MultipleSources, "src/other.rs")]
    [InlineData(NonCacheableReason.BadResponseFile, "@missing.args")]
    public void Non_cacheable_rustc_calls_say_why(NonCacheableReason reason, params string[] extra)
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        var (c, why) = Parse(CargoArgs(more: extra));
        Assert.Null(c);
        Assert.Equal(reason, why!.Reason);
    }

    [Fact]
    public void A_call_without_a_crate_type_is_not_cached()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        Assert.Equal(NonCacheableReason.CrateType, Parse("--crate-name", "x", "src/lib.rs").Why!.Reason);
        Assert.Equal(NonCacheableReason.StdinSource, Parse("-", "--crate-name", "x", "--crate-type", "lib").Why!.Reason);
    }

    [Theory]
    [InlineData("-vV")]
    [InlineData("-", "--crate-name", "___", "--print=file-names", "--crate-type", "bin")]
    [InlineData("--print", "sysroot")]
    public void Queries_are_not_compiles(params string[] args) => Assert.True(RustcCommandLine.IsQuery(args));

    [Fact]
    public void An_extern_crate_enters_the_key_by_content()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        Source("deps/libdep.rmeta", "one");
        var (a, _) = Parse(CargoArgs(more: ["--extern", "dep=deps/libdep.rmeta"]));
        Source("deps/libdep.rmeta", "two");
        var (b, _) = Parse(CargoArgs(more: ["--extern", "dep=deps/libdep.rmeta"]));
        Assert.NotEqual(a!.Context.ContextKey(), b!.Context.ContextKey());
        Assert.Contains(a.Context.Flags, f => f.StartsWith("--extern dep=sha256:", StringComparison.Ordinal));
    }

    [Fact]
    public void Cargo_variables_enter_the_key_but_the_jobserver_does_not()
    {
        Source("src/lib.rs", "pub fn f() {}\n");
        CacheableCompile With(Dictionary<string, string> env) =>
            RustcCommandLine.Parse(new CompileInvocation { Compiler = Rustc, Arguments = CargoArgs(), WorkingDirectory = _dir["work"], Environment = env }, _memo).Compile!;
        var a = With(new() { ["CARGO_PKG_VERSION"] = "1.0.0", ["CARGO_MAKEFLAGS"] = "-j --jobserver-fds=6,7", ["HOME"] = "/a" });
        var b = With(new() { ["CARGO_PKG_VERSION"] = "1.0.0", ["CARGO_MAKEFLAGS"] = "-j --jobserver-fds=8,9", ["HOME"] = "/b" });
        var c = With(new() { ["CARGO_PKG_VERSION"] = "1.0.1" });
        Assert.Equal(a.KeyExtras, b.KeyExtras);
        Assert.NotEqual(a.KeyExtras, c.KeyExtras);
    }

    [Fact]
    public void Real_rustc_miss_then_hit_with_identical_outputs_and_replayed_diagnostics()
    {
        Source("src/lib.rs", "mod m;\npub fn f() -> u32 { let unused = 1; m::G }\n");
        Source("src/m.rs", "pub const G: u32 = 7;\n");
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var first = Compile(cache, CargoArgs());
        Assert.True(first.ExitCode == 0, Encoding.UTF8.GetString(first.Stderr));
        Assert.Equal(OutcomeKind.Miss, first.Outcome.Kind);
        string stderr = Encoding.UTF8.GetString(first.Stderr);
        Assert.Contains("unused variable", stderr);
        Assert.Contains("\"artifact\":", stderr);
        string deps = _dir["work/target/deps"];
        string[] outputs = [deps + "/libdemo-0123abcd.rlib", deps + "/libdemo-0123abcd.rmeta", deps + "/demo-0123abcd.d"];
        var bytes = outputs.Select(File.ReadAllBytes).ToList();
        Directory.Delete(deps, recursive: true);

        var second = Compile(cache, CargoArgs());
        Assert.Equal(OutcomeKind.Hit, second.Outcome.Kind);
        Assert.Equal(first.Stderr, second.Stderr);
        Assert.Equal(bytes, outputs.Select(File.ReadAllBytes).ToList());

        // A module (found through dep-info) changes: a miss.
        Source("src/m.rs", "pub const G: u32 = 8;\n");
        var third = Compile(cache, CargoArgs());
        Assert.Equal(OutcomeKind.Miss, third.Outcome.Kind);
        Assert.Equal("input_changed", third.Outcome.Reason);
    }

    [Fact]
    public void Cargo_check_emits_metadata_only_and_is_cached_too()
    {
        Source("src/lib.rs", "pub fn f() -> u32 { 7 }\n");
        string[] check = [.. CargoArgs().Select(a => a == "--emit=dep-info,metadata,link" ? "--emit=dep-info,metadata" : a)];
        var cache = CompileCache.Open(_dir["cache"], _memo);
        Assert.Equal(OutcomeKind.Miss, Compile(cache, check).Outcome.Kind);
        string rmeta = _dir["work/target/deps/libdemo-0123abcd.rmeta"];
        byte[] bytes = File.ReadAllBytes(rmeta);
        Assert.False(File.Exists(_dir["work/target/deps/libdemo-0123abcd.rlib"]));
        File.Delete(rmeta);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, check).Outcome.Kind);
        Assert.Equal(bytes, File.ReadAllBytes(rmeta));
        // A build (with link) is another key: it misses, then hits.
        Assert.Equal(OutcomeKind.Miss, Compile(cache, CargoArgs()).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, CargoArgs()).Outcome.Kind);
    }

    [Fact]
    public void Without_dep_info_rustc_is_asked_for_it_privately()
    {
        Source("src/lib.rs", "mod m;\npub fn f() -> u32 { m::G }\n");
        Source("src/m.rs", "pub const G: u32 = 1;\n");
        string[] linkOnly = [.. CargoArgs().Select(a => a == "--emit=dep-info,metadata,link" ? "--emit=link" : a)];
        var cache = CompileCache.Open(_dir["cache"], _memo);
        Assert.Equal(OutcomeKind.Miss, Compile(cache, linkOnly).Outcome.Kind);
        Assert.False(File.Exists(_dir["work/target/deps/demo-0123abcd.d"])); // the user did not ask for it
        Assert.Equal(OutcomeKind.Hit, Compile(cache, linkOnly).Outcome.Kind);
        Source("src/m.rs", "pub const G: u32 = 2;\n");
        Assert.Equal("input_changed", Compile(cache, linkOnly).Outcome.Reason);
    }

    [Fact]
    public void Variables_read_by_env_macros_are_checked_on_every_hit()
    {
        Source("src/lib.rs", "pub const V: Option<&str> = option_env!(\"ZC_TEST_VALUE\");\n");
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string)e.Value!);
        env["ZC_TEST_VALUE"] = "one\nline two";
        Assert.Equal(OutcomeKind.Miss, Compile(cache, CargoArgs(), env).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, CargoArgs(), env).Outcome.Kind);
        env["ZC_TEST_VALUE"] = "two";
        var changed = Compile(cache, CargoArgs(), env);
        Assert.Equal(OutcomeKind.Miss, changed.Outcome.Kind);
        Assert.Equal("input_changed", changed.Outcome.Reason);
        env.Remove("ZC_TEST_VALUE");
        Assert.Equal(OutcomeKind.Miss, Compile(cache, CargoArgs(), env).Outcome.Kind);
        Assert.Equal(OutcomeKind.Hit, Compile(cache, CargoArgs(), env).Outcome.Kind);
    }

    [Fact]
    public void A_compile_error_is_cached_and_replayed()
    {
        Source("src/lib.rs", "pub fn f() -> u32 { \"no\" }\n");
        var cache = CompileCache.Open(_dir["cache"], _memo);
        var first = Compile(cache, CargoArgs());
        Assert.NotEqual(0, first.ExitCode);
        var second = Compile(cache, CargoArgs());
        Assert.True(second.Outcome.Kind == OutcomeKind.CachedError, second.Outcome.Reason);
        Assert.Equal(first.ExitCode, second.ExitCode);
        Assert.Equal(first.Stderr, second.Stderr);
    }
}
