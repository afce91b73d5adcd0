using Zccache.Core.Contexts;
using Zccache.Core.Hashing;
using Zccache.Core.Paths;

namespace Zccache.Core.Compilers;

/// <summary>
/// Reads a rustc command line (as cargo writes it) into a <see cref="CacheableCompile"/>, or says
/// why it cannot be cached. Cached: every crate type emitting any of dep-info, metadata and link,
/// and <c>--test</c>. Everything on the command line enters the key in order, with each
/// <c>--extern</c> file and bundled static library replaced by its content hash; the sources come
/// from dep-info, and <c>env!</c> reads from its <c>env-dep</c> lines. A crate that links (bin, test,
/// proc-macro, cdylib, dylib) is a <see cref="Linking.LinkStep"/> too: the linker's identity enters the
/// key and every file the link read, as the linker reports it, is verified on a hit.
/// <c>-C incremental</c> is cached with its folder out of the key (the folder is rustc's own side cache,
/// left as it is on a hit); whether it is on stays in the key.
/// </summary>
public static partial class RustcCommandLine
{
    private static readonly HashSet<string> ArchiveCrateTypes = new(StringComparer.Ordinal) { "lib", "rlib", "staticlib" };
    private static readonly HashSet<string> LinkedCrateTypes = new(StringComparer.Ordinal) { "bin", "proc-macro", "cdylib", "dylib" };
    private static readonly HashSet<string> CachedEmits = new(StringComparer.Ordinal) { "dep-info", "metadata", "link" };

    /// <summary>Long options whose value may be the next argument.</summary>
    private static readonly HashSet<string> LongWithValue = new(StringComparer.Ordinal)
    {
        "--crate-name", "--crate-type", "--edition", "--emit", "--extern", "--out-dir", "--target", "--cfg", "--check-cfg",
        "--cap-lints", "--error-format", "--json", "--color", "--print", "--sysroot", "--remap-path-prefix", "--explain",
        "--codegen", "--diagnostic-width", "--extern-location", "--env-set", "--crate-attr", "--force-warn", "--allow",
        "--warn", "--deny", "--forbid", "--target-dir", "--out-file",
    };

    /// <summary>Short options whose value may be attached (<c>-Copt-level=1</c>) or the next argument.</summary>
    private const string ShortWithValue = "CLloAWDFZ";

    /// <summary>Cargo's variables that never change the output: the jobserver, credentials.</summary>
    private static bool IsVolatileCargoVariable(string name) =>
        name == "CARGO_MAKEFLAGS" || name.Contains("TOKEN", StringComparison.Ordinal)
        || name.Contains("CREDENTIAL", StringComparison.Ordinal);

    /// <summary>True when <paramref name="compiler"/> names rustc (also a versioned or toolchain path).</summary>
    public static bool IsRustc(string compiler)
    {
        string name = Path.GetFileNameWithoutExtension(compiler);
        return name == "rustc" || name.StartsWith("rustc-", StringComparison.Ordinal);
    }

    /// <summary>True for calls that compile nothing (<c>-vV</c>, <c>--version</c>,
    /// <c>--print</c> probes): not compiles, not counted.</summary>
    public static bool IsQuery(IReadOnlyList<string> args) =>
        args.Count == 0
        || args.Any(a => a is "-V" or "-vV" or "--version" or "-h" or "--help" || a == "--print"
            || a.StartsWith("--print=", StringComparison.Ordinal) || a == "--explain");

    public static (CacheableCompile? Compile, NonCacheable? Why) Parse(CompileInvocation invocation, FileHashMemo memo)
    {
        List<string> args;
        try { args = ResponseFiles.ExpandLines(invocation.Arguments, invocation.WorkingDirectory); }
        catch (ResponseFileException e) { return (null, new NonCacheable(NonCacheableReason.BadResponseFile, e.Message)); }

        string cwd = invocation.WorkingDirectory;
        string? crateName = null, outDir = null, extraFilename = "", target = null, linker = null;
        bool test = false;
        var linkArgs = new List<string>();
        var crateTypes = new List<string>();
        var emits = new List<(string Kind, string? Path)>();
        var sources = new List<string>();
        var keyArgs = new List<string>();
        var linkSearch = new List<string>();
        var staticLibs = new List<string>();

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "-") return (null, new NonCacheable(NonCacheableReason.StdinSource, ""));
            if (!arg.StartsWith('-')) { sources.Add(arg); continue; }

            var (option, value) = Split(arg);
            if (value is null && (LongWithValue.Contains(option) || (option.Length == 2 && ShortWithValue.Contains(option[1]))))
            {
                if (i + 1 >= args.Count) return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, $"{option} without a value"));
                value = args[++i];
            }

            switch (option)
            {
                case "--crate-name": crateName = value; break;
                case "--crate-type": crateTypes.AddRange(value!.Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--emit":
                    foreach (string e in value!.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        int eq = e.IndexOf('=');
                        emits.Add(eq < 0 ? (e, null) : (e[..eq], Path.GetFullPath(e[(eq + 1)..], cwd)));
                    }
                    break;
                case "--out-dir": outDir = Path.GetFullPath(value!, cwd); break;
                case "--target": target = value; break;
                case "-o": case "--out-file": return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "-o"));
                case "--test": test = true; break;
                case "-C":
                case "--codegen":
                    {
                        int eq = value!.IndexOf('=');
                        string name = eq < 0 ? value : value[..eq], setting = eq < 0 ? "" : value[(eq + 1)..];
                        switch (name)
                        {
                            // rustc's own side cache: left out of the key (a hit leaves it as it is), whether it is on stays in.
                            case "incremental": keyArgs.Add("-C incremental"); continue;
                            case "extra-filename": extraFilename = setting; break;
                            case "linker": linker = setting; break;
                            case "link-arg": linkArgs.Add(setting); break;
                            case "link-args": linkArgs.AddRange(setting.Split(' ', StringSplitOptions.RemoveEmptyEntries)); break;
                            // Files beside the outputs the entry would not hold, or a link the linker's report would not explain.
                            case "save-temps" or "linker-plugin-lto" when setting is not ("no" or "n" or "off" or "false"):
                            case "split-debuginfo" when setting is not "off":
                            case "linker-flavor" when setting is not ("gcc" or "gnu-cc" or "gnu-lld-cc"):
                                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "-C " + value));
                        }
                        break;
                    }
                // Nightly's own linker arguments: what they make the linker write, the entry would not hold.
                case "-Z" when value!.StartsWith("pre-link-arg", StringComparison.Ordinal):
                    return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "-Z " + value));
                case "-L": linkSearch.Add(value!); break;
                case "-l": staticLibs.AddRange(StaticLibrary(value!)); break;
                case "--extern":
                    {
                        // name=path: the file's content enters the key, not its path (a rebuilt dependency is a new key).
                        int eq = value!.IndexOf('=');
                        if (eq < 0) break;
                        string path = Path.GetFullPath(value[(eq + 1)..], cwd);
                        if (memo.Get(path) is not { } facts) return (null, new NonCacheable(NonCacheableReason.MissingInput, path));
                        keyArgs.Add($"--extern {value[..eq]}=sha256:{facts.Hash.Hex}");
                        continue;
                    }
                case "--print": return (null, new NonCacheable(NonCacheableReason.PreprocessOnly, "--print"));
            }
            keyArgs.Add(value is null ? option : option + " " + value);
        }

        if (sources.Count == 0) return (null, new NonCacheable(NonCacheableReason.NoSource, ""));
        if (sources.Count > 1) return (null, new NonCacheable(NonCacheableReason.MultipleSources, string.Join(' ', sources)));
        if (crateName is null) return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "no --crate-name"));
        if (test) crateTypes = ["bin"]; // the test harness is an executable, whatever the crate types say
        if (crateTypes.Count == 0) return (null, new NonCacheable(NonCacheableReason.CrateType, "none given (rustc would build a bin)"));
        if (crateTypes.FirstOrDefault(t => !ArchiveCrateTypes.Contains(t) && !LinkedCrateTypes.Contains(t)) is { } type)
            return (null, new NonCacheable(NonCacheableReason.CrateType, type));
        bool links = crateTypes.Any(LinkedCrateTypes.Contains) && (emits.Count == 0 || emits.Any(e => e.Kind == "link"));
        if (links && !ElfTarget(target))
            return (null, new NonCacheable(NonCacheableReason.CrateType,
                $"{string.Join(',', crateTypes)} for {target ?? "this host"} (its linker reports no dependency file)"));
        if (links && linker is not null && !GccCommandLine.IsGccFamily(linker))
            return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "-C linker=" + linker + " (not a gcc-family driver)"));
        if (linkArgs.FirstOrDefault(Linking.LinkCommandLine.HasSideEffects) is { } sideEffect)
            return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "-C link-arg=" + sideEffect));
        if (emits.Count == 0) emits.Add(("link", null));
        if (emits.FirstOrDefault(e => !CachedEmits.Contains(e.Kind)) is { Kind: not null } emit)
            return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "--emit=" + emit.Kind));

        // Native libraries bundled into the crate: their content enters the key.
        var extras = new List<KeyValuePair<string, string>> { new("cwd", NormalizedPath.From(cwd).Value) };
        foreach (string lib in staticLibs)
        {
            string? found = FindStaticLibrary(lib, linkSearch, cwd, target);
            if (found is null || memo.Get(found) is not { } facts)
                return (null, new NonCacheable(NonCacheableReason.MissingInput, "static library " + lib));
            extras.Add(new("static-lib:" + lib, facts.Hash.Hex));
        }
        foreach (var (name, value) in CargoEnvironment(invocation))
            extras.Add(new("env:" + name, value));
        if (links)
        {
            // What the C driver reads when rustc runs it.
            foreach (string name in GccCommandLine.OutputEnvironment)
                if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } v) extras.Add(new("env:" + name, v));
        }
        if (args.Any(HostCpu.IsNative))
        {
            if (HostCpu.Digest() is not { } cpu)
                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption,
                    "-C target-cpu=native (the processor cannot be identified)"));
            extras.Add(new("host-cpu", cpu));
        }
        // A custom target is a JSON file: its content, not its name, decides the output.
        if (target is not null && target.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (memo.Get(Path.GetFullPath(target, cwd)) is not { } facts)
                return (null, new NonCacheable(NonCacheableReason.MissingInput, "--target " + target));
            extras.Add(new("target-json", facts.Hash.Hex));
        }

        outDir ??= Path.GetFullPath(cwd);
        string stem = crateName + extraFilename;
        var outputs = new List<CompileOutput>();
        string? depInfo = null;
        foreach (var (kind, explicitPath) in emits.Distinct())
        {
            switch (kind)
            {
                case "dep-info":
                    depInfo = explicitPath ?? Path.Join(outDir, stem + ".d");
                    outputs.Add(new("dep-info", depInfo));
                    break;
                case "metadata":
                    outputs.Add(new("metadata", explicitPath ?? Path.Join(outDir, "lib" + stem + ".rmeta")));
                    break;
                case "link":
                    foreach (string crateType in crateTypes.Distinct())
                        outputs.Add(crateType switch
                        {
                            "staticlib" => new("link-staticlib", explicitPath ?? Path.Join(outDir, StaticLibName(stem, target))),
                            "bin" => new("link-bin", explicitPath ?? Path.Join(outDir, stem)),
                            "proc-macro" or "cdylib" or "dylib" =>
                                new("link-" + crateType, explicitPath ?? Path.Join(outDir, "lib" + stem + ".so")),
                            _ => new("link-rlib", explicitPath ?? Path.Join(outDir, "lib" + stem + ".rlib")),
                        });
                    break;
            }
        }

        var context = new CompileContext { SourceFile = NormalizedPath.From(sources[0], cwd), Flags = keyArgs };
        return (new CacheableCompile
        {
            Context = context,
            KeyExtras = extras,
            Arguments = args,
            Outputs = outputs.DistinctBy(o => o.Name).ToList(),
            DependencyFile = depInfo,
            DependencyArguments = path => ["--emit=dep-info=" + path],
            // Emitting dep-info changes the rlib (the emit set is hashed into it): when the user did not
            // ask for it, the compile runs as written and a second, dep-info-only run lists the inputs.
            DependencyScan = depInfo is null ? path => [.. WithoutEmit(args), "--emit=dep-info=" + path] : null,
            HiddenDependencies = sources => LinkAttributeLibraries(sources, linkSearch, cwd, target),
            Search = Contexts.SearchModel.RustModules,
            FailedRunListsEveryInput = false,
            Link = links ? LinkStep(invocation, linker, linkArgs, linkSearch, args, outDir, stem) : null,
            // A link that failed names no file a later lookup could check: never replayed (it runs again as written).
            IsEnvironmentFailure = links ? LinkFailed : _ => false,
        }, null);
    }

    /// <summary>rustc's message when the linker failed or could not be started.</summary>
    private static bool LinkFailed(byte[] stderr)
    {
        string text = CompilerProcess.Text(stderr);
        return text.Contains("linking with `", StringComparison.Ordinal)
            || text.Contains("could not exec the linker", StringComparison.Ordinal);
    }

    /// <summary>ELF targets, whose GNU ld, gold or lld write <c>--dependency-file</c>.</summary>
    private static bool ElfTarget(string? target) =>
        target is null ? OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD()
        : target.Contains("-linux-", StringComparison.Ordinal) || target.Contains("-freebsd", StringComparison.Ordinal);

    private static Linking.LinkStep LinkStep(CompileInvocation invocation, string? linker, List<string> linkArgs, List<string> linkSearch,
        List<string> args, string outDir, string stem)
    {
        string cwd = invocation.WorkingDirectory;
        var folders = linkSearch.Select(entry =>
            (Kind: entry.Contains('=') ? entry[..entry.IndexOf('=')] : "all", Dir: entry[(entry.IndexOf('=') + 1)..]))
            .Where(e => e.Kind is "all" or "native").Select(e => Path.GetFullPath(e.Dir, cwd)).ToList();
        var names = new List<string>();
        for (int i = 0; i + 1 < args.Count; i++)
            if (args[i] == "-l") names.Add(LibraryName(args[i + 1]));
        foreach (string a in args.Where(a => a.StartsWith("-l", StringComparison.Ordinal) && a.Length > 2)) names.Add(LibraryName(a[2..]));
        return new Linking.LinkStep
        {
            // Its link arguments (-B folders) decide which ld it runs.
            Linker = invocation with { Compiler = linker ?? "cc", Arguments = linkArgs, PrefixCommand = [] },
            DependencyArguments = path => ["-C", "link-arg=" + Linking.LinkCommandLine.DependencyFileOption(path)],
            Libraries = new Linking.LibrarySearch(folders, names, NamesFromLinker: true),
            // rustc links its codegen units (<stem>.*.rcgu.o) and files in a
            // temporary folder (rustcXXXXXX) in the out-dir, then deletes them.
            IsIntermediate = path => Path.GetDirectoryName(path) is { } dir
                && ((NormalizedPath.Comparer.Equals(dir, outDir) && Path.GetFileName(path).StartsWith(stem + ".", StringComparison.Ordinal)
                    && path.EndsWith(".rcgu.o", StringComparison.Ordinal))
                    || (NormalizedPath.Comparer.Equals(Path.GetDirectoryName(dir), outDir)
                        && Path.GetFileName(dir).StartsWith("rustc", StringComparison.Ordinal))),
        };
    }

    /// <summary>The library a <c>-l [KIND[:MODIFIERS]=]NAME[:RENAME]</c> names.</summary>
    private static string LibraryName(string value)
    {
        string name = value[(value.IndexOf('=') + 1)..];
        return name.Contains(':') ? name[..name.IndexOf(':')] : name;
    }

    private static List<string> WithoutEmit(List<string> args)
    {
        var result = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--emit") { i++; continue; }
            if (!args[i].StartsWith("--emit=", StringComparison.Ordinal)) result.Add(args[i]);
        }
        return result;
    }

    private static (string Option, string? Value) Split(string arg)
    {
        if (arg.StartsWith("--", StringComparison.Ordinal))
        {
            int eq = arg.IndexOf('=');
            return eq < 0 ? (arg, null) : (arg[..eq], arg[(eq + 1)..]);
        }
        return arg.Length > 2 && ShortWithValue.Contains(arg[1]) ? (arg[..2], arg[2..]) : (arg, null);
    }

    /// <summary>The name of a <c>-l</c> library that is linked statically (and so bundled into an rlib or staticlib).</summary>
    private static IEnumerable<string> StaticLibrary(string value)
    {
        int eq = value.IndexOf('=');
        if (eq < 0) yield break; // no kind: rustc decides at the final link, nothing is bundled
        string kind = value[..eq].Split(':')[0];
        if (kind != "static") yield break;
        string name = value[(eq + 1)..];
        int colon = name.IndexOf(':');
        yield return colon < 0 ? name : name[..colon];
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"#\s*\[\s*link\s*\((?<args>[^)]*)\)",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex LinkAttribute();

    /// <summary>
    /// Static libraries named by <c>#[link(name = "…", kind = "static")]</c> in the crate's sources and
    /// found through <c>-L</c>: rustc bundles them into the rlib but does not list them in dep-info.
    /// </summary>
    private static HashSet<string> LinkAttributeLibraries(IEnumerable<string> sources, List<string> searchPaths, string cwd,
        string? target)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (string source in sources.Where(s => s.EndsWith(".rs", StringComparison.Ordinal)))
        {
            string text;
            try { text = File.ReadAllText(source); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (!text.Contains("link", StringComparison.Ordinal)) continue;
            foreach (System.Text.RegularExpressions.Match m in LinkAttribute().Matches(text))
            {
                string args = m.Groups["args"].Value;
                var name = System.Text.RegularExpressions.Regex.Match(args, @"\bname\s*=\s*""([^""]+)""");
                if (!name.Success) continue;
                // Unless it says otherwise, look for it as static too: a kind spelled through a macro must not be missed.
                var kind = System.Text.RegularExpressions.Regex.Match(args, @"\bkind\s*=\s*""([^""]+)""");
                if (kind.Success && kind.Groups[1].Value is "dylib" or "framework" or "raw-dylib") continue;
                if (FindStaticLibrary(name.Groups[1].Value, searchPaths, cwd, target) is { } lib) found.Add(lib);
            }
        }
        return found;
    }

    private static string? FindStaticLibrary(string name, List<string> searchPaths, string cwd, string? target)
    {
        foreach (string entry in searchPaths)
        {
            int eq = entry.IndexOf('=');
            string kind = eq < 0 ? "all" : entry[..eq];
            if (kind is not ("all" or "native")) continue;
            string dir = Path.GetFullPath(eq < 0 ? entry : entry[(eq + 1)..], cwd);
            string candidate = Path.Join(dir, StaticLibName(name, target));
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string StaticLibName(string stem, string? target) =>
        target?.Contains("windows-msvc", StringComparison.Ordinal) == true || (target is null && OperatingSystem.IsWindows())
            ? stem + ".lib" : "lib" + stem + ".a";

    /// <summary>The CARGO_* variables (and rustc's own switches) of the call, sorted, except the volatile ones.</summary>
    private static IEnumerable<(string Name, string Value)> CargoEnvironment(CompileInvocation invocation)
    {
        IEnumerable<KeyValuePair<string, string>> all = invocation.Environment
            ?? System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(e => new KeyValuePair<string, string>((string)e.Key, (string?)e.Value ?? ""));
        return all.Where(e => (e.Key.StartsWith("CARGO_", StringComparison.Ordinal) && !IsVolatileCargoVariable(e.Key))
                              || e.Key is "RUSTC_BOOTSTRAP" or "SOURCE_DATE_EPOCH")
                  .Select(e => (e.Key, e.Value))
                  .OrderBy(e => e.Key, StringComparer.Ordinal);
    }
}
