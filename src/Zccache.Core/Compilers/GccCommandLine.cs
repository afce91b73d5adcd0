using Zccache.Core.Contexts;
using Zccache.Core.Hashing;
using Zccache.Core.Paths;

namespace Zccache.Core.Compilers;

/// <summary>
/// Reads a gcc, clang or emcc command line into a <see cref="CacheableCompile"/>, or says why it cannot
/// be cached. Conservative: an option it does not know is kept verbatim in the key, and an option
/// whose effect it cannot capture makes the call non-cacheable.
/// </summary>
public static partial class GccCommandLine
{
    private static readonly HashSet<string> CompilerNames = new(StringComparer.Ordinal)
    {
        "gcc", "g++", "cc", "c++", "clang", "clang++", "emcc", "em++",
    };

    /// <summary>Options whose value is the next argument (when not attached).</summary>
    private static readonly HashSet<string> TakesValue = new(StringComparer.Ordinal)
    {
        "-o", "-I", "-iquote", "-isystem", "-idirafter", "-include", "-imacros", "-D", "-U", "-MF", "-MT", "-MQ", "-x",
        "-Xclang", "-Xpreprocessor", "-Xassembler", "-Xlinker", "-mllvm", "-arch", "-target", "-isysroot", "-iprefix",
        "-iwithprefix", "-iwithprefixbefore", "--param", "-aux-info", "-T", "-u", "-z", "-L", "-l", "-B", "-G",
    };

    /// <summary>Options that make a compile impossible to capture: extra outputs, hidden inputs, side effects.</summary>
    private static readonly HashSet<string> UnsupportedOptions = new(StringComparer.Ordinal)
    {
        "-MG", "-v", "-###", "-S", "-dM", "-dD", "-fsyntax-only", "--coverage", "-ftest-coverage", "-fprofile-arcs",
        "-ftime-report", "-fstack-usage", "-frecord-gcc-switches", "-Xpreprocessor", "-Xclang",
        // The object would record the command line, the cache's private depfile path included.
        "-frecord-command-line", "-grecord-command-line",
        // Profile data from a default path; -I- changes the quote chain's shape.
        "-fprofile-instr-use", "-I-", "-aux-info",
    };

    private static readonly string[] UnsupportedPrefixes =
    [
        "-save-temps", "-fprofile-use", "-fprofile-generate", "-fauto-profile", "-fcreate-profile", "-gsplit-dwarf",
        "-Wp,", "-specs", "--specs", "-fdump-", "-fcallgraph-info", "-fmodules", "-fmodule-",
        // Include folders the search model does not follow (clang's extra chains, prefixes, overlays, frameworks, #embed).
        "-isystem-after", "-cxx-isystem", "-iframework", "-F", "-ivfsoverlay", "-iembed-dir", "--embed-dir", "-include-pch",
        "-fprebuilt-module-path", "-iwithprefix", "--system-header-prefix", "--no-system-header-prefix",
        // Extra outputs.
        "-MJ", "-ftime-trace", "-fsave-optimization-record", "-foptimization-record-file", "-fprofile-instr-generate",
        "-fcs-profile-generate",
    ];

    /// <summary>
    /// Options that name a file the compiler reads but does not list in its dependency output:
    /// the file's content enters the key (a missing file: not cached, the compiler says why).
    /// </summary>
    private static readonly string[] InputFileOptions =
    [
        "-fprofile-instr-use=", "-fprofile-sample-use=", "-fprofile-remapping-file=", "-fsanitize-coverage-allowlist=",
        "-fsanitize-coverage-whitelist=", "-fsanitize-coverage-ignorelist=", "-fsanitize-coverage-blocklist=",
        "-fsanitize-coverage-blacklist=", "-fsanitize-ignorelist=", "-fsanitize-blacklist=", "-fsanitize-system-ignorelist=",
        "-fprofile-list=", "-fxray-always-instrument=", "-fxray-never-instrument=", "-fxray-attr-list=", "-fplugin=",
        "-fpass-plugin=", "--config=",
    ];

    /// <summary>Long spellings gcc and clang accept for short options.</summary>
    private static readonly Dictionary<string, string> LongAliases = new(StringComparer.Ordinal)
    {
        ["--include-directory"] = "-I", ["--include-directory-after"] = "-idirafter", ["--include"] = "-include",
        ["--imacros"] = "-imacros", ["--define-macro"] = "-D", ["--undefine-macro"] = "-U", ["--output"] = "-o",
        ["--compile"] = "-c", ["--preprocess"] = "-E", ["--include-barrier"] = "-I-", ["--dependencies"] = "-M",
        ["--user-dependencies"] = "-MM", ["--write-dependencies"] = "-MD", ["--write-user-dependencies"] = "-MMD",
        ["--print-missing-file-dependencies"] = "-MG", ["--language"] = "-x", ["--no-standard-includes"] = "-nostdinc",
        ["--assemble"] = "-S", ["--save-temps"] = "-save-temps", ["--verbose"] = "-v", ["--include-prefix"] = "-iprefix",
        ["--include-with-prefix"] = "-iwithprefix", ["--include-with-prefix-after"] = "-iwithprefix",
        ["--include-with-prefix-before"] = "-iwithprefixbefore", ["--config"] = "--config=",
    };

    /// <summary>Environment variables that change what gcc/clang produce (or the language of their messages).</summary>
    internal static readonly string[] OutputEnvironment =
    [
        "CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH", "OBJCPLUS_INCLUDE_PATH", "SOURCE_DATE_EPOCH",
        "GCC_EXEC_PREFIX", "COMPILER_PATH", "LIBRARY_PATH", "GCC_COMPARE_DEBUG", "CCC_OVERRIDE_OPTIONS", "SDKROOT",
        "MACOSX_DEPLOYMENT_TARGET", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "EM_CACHE", "EMCC_CFLAGS", "EM_CONFIG",
    ];

    /// <summary>Environment variables that make gcc write a dependency file of its own: unsupported.</summary>
    private static readonly string[] SideOutputEnvironment = ["DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES"];

    private static readonly HashSet<string> SourceExtensions = new(StringComparer.Ordinal)
    {
        ".c", ".cc", ".cp", ".cpp", ".cxx", ".c++", ".C", ".CPP", ".m", ".mm", ".M", ".i", ".ii", ".mi", ".mii", ".s", ".S", ".sx",
    };

    /// <summary>True when <paramref name="compiler"/> names a gcc-family compiler (also versioned or cross: <c>g++-12</c>, <c>x86_64-linux-gnu-gcc</c>).</summary>
    public static bool IsGccFamily(string compiler)
    {
        string name = Path.GetFileNameWithoutExtension(compiler);
        if (CompilerNames.Contains(name)) return true;
        int dash = name.LastIndexOf('-');
        // g++-12, clang-14
        if (dash > 0 && name[(dash + 1)..].All(c => char.IsDigit(c) || c == '.') && CompilerNames.Contains(name[..dash])) return true;
        // x86_64-linux-gnu-gcc, x86_64-linux-gnu-g++-12
        return CompilerNames.Any(c => name.EndsWith("-" + c, StringComparison.Ordinal) || name.Contains("-" + c + "-", StringComparison.Ordinal));
    }

    public static (CacheableCompile? Compile, NonCacheable? Why) Parse(CompileInvocation invocation, FileHashMemo? memo = null)
    {
        memo ??= FileHashMemo.Shared;
        foreach (string name in SideOutputEnvironment)
            if (!string.IsNullOrEmpty(invocation.GetEnvironmentVariable(name)))
                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, name));

        List<string> args;
        try { args = LongToShort(ResponseFiles.Expand(invocation.Arguments, invocation.WorkingDirectory)); }
        catch (ResponseFileException e) { return (null, new NonCacheable(NonCacheableReason.BadResponseFile, e.Message)); }

        string cwd = invocation.WorkingDirectory;
        NormalizedPath Abs(string p) => NormalizedPath.From(p, cwd);

        var search = new IncludeSearchPaths();
        var defines = new List<string>();
        var undefines = new List<string>();
        var macroOps = new List<string>();
        var flags = new List<string>();
        var forceIncludes = new List<NormalizedPath>();
        var commandLineIncludes = new List<string>();
        var spelled = new List<string>(); // include folders and files as written: __FILE__ and debug info keep the spelling
        var inputFiles = new List<KeyValuePair<string, string>>();
        var unknown = new List<string>();
        var depOptions = new List<string>();
        var sources = new List<(string Arg, string? Language)>();
        string? output = null;
        string? language = null;
        bool compileOnly = false, preprocessOnly = false, depMD = false, depMMD = false;
        string? depFile = null;

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];

            if (arg == "-" ) { sources.Add((arg, language)); continue; }
            if (!arg.StartsWith('-')) { sources.Add((arg, language)); continue; }

            if (UnsupportedOptions.Contains(arg) || UnsupportedPrefixes.Any(p => arg.StartsWith(p, StringComparison.Ordinal)))
                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, arg));

            // Split "-Ifoo" / "-I foo" forms of value-taking options.
            string? option = null, value = null;
            foreach (string name in JoinedValue)
            {
                if (arg == name) { option = name; break; }
                if (arg.StartsWith(name, StringComparison.Ordinal) && name.Length == 2 && !IsLongOptionStartingWith(arg, name)) { option = name; value = arg[2..]; break; }
                if (arg.StartsWith(name, StringComparison.Ordinal) && name.Length >= 3 && arg.Length > name.Length) { option = name; value = arg[name.Length..]; break; }
            }
            if (InputFileOptions.FirstOrDefault(p => arg.StartsWith(p, StringComparison.Ordinal)) is { } fileOption)
            {
                if (arg.Length == fileOption.Length) return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, arg));
                string file = Abs(arg[fileOption.Length..]).Value;
                if (memo.Get(file) is not { } facts) return (null, new NonCacheable(NonCacheableReason.MissingInput, arg));
                inputFiles.Add(new("file:" + fileOption + file, facts.Hash.Hex));
                flags.Add(arg);
                continue;
            }
            option ??= arg;
            if (value is null && TakesValue.Contains(option))
            {
                if (i + 1 >= args.Count) return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, $"{option} without a value"));
                value = args[++i];
            }

            switch (option)
            {
                case "-c": compileOnly = true; break;
                case "-E": case "-M": case "-MM": preprocessOnly = true; break;
                case "-o": output = value; break;
                case "-I": case "-iquote": case "-isystem": case "-idirafter":
                    // "=dir" and "$SYSROOT/dir" are under the sysroot: not followed.
                    if (value!.StartsWith('=') || value.StartsWith("$SYSROOT", StringComparison.Ordinal))
                        return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, option + value));
                    (option switch { "-I" => search.User, "-iquote" => search.Quote, "-isystem" => search.System, _ => search.After }).Add(Abs(value));
                    spelled.Add(option + value);
                    break;
                case "-include": forceIncludes.Add(Abs(value!)); commandLineIncludes.Add(value!); spelled.Add(option + value); break;
                case "-imacros": flags.Add("-imacros=" + Abs(value!).Value); commandLineIncludes.Add(value!); spelled.Add(option + value); break;
                case "-D": defines.Add(value!); macroOps.Add("-D" + value); break;
                case "-U": undefines.Add(value!); macroOps.Add("-U" + value); break;
                case "-x": language = value == "none" ? null : value; flags.Add("-x" + value); break;
                case "-MD": depMD = true; break;
                case "-MMD": depMMD = true; break;
                case "-MF": depFile = value; break; // where it goes, not what it says
                case "-MT": case "-MQ": depOptions.Add(option + "=" + value); break;
                case "-MP": depOptions.Add("-MP"); break;
                case "-L": case "-l": case "-u": case "-T": case "-z": case "-Xlinker": break; // link-only, no effect with -c
                case "-B": case "-isysroot": case "-iprefix":
                    flags.Add(option + "=" + Abs(value!).Value); break;
                default:
                    if (value is not null) { flags.Add(option + "=" + value); break; }
                    if (IsKnownFlag(arg)) flags.Add(arg);
                    else unknown.Add(arg);
                    break;
            }
        }

        if (preprocessOnly) return (null, new NonCacheable(NonCacheableReason.PreprocessOnly, ""));
        if (!compileOnly) return (null, new NonCacheable(NonCacheableReason.Linking, "no -c"));
        if (sources.Count == 0) return (null, new NonCacheable(NonCacheableReason.NoSource, ""));
        if (sources.Count > 1) return (null, new NonCacheable(NonCacheableReason.MultipleSources, string.Join(' ', sources.Select(s => s.Arg))));
        var (sourceArg, sourceLanguage) = sources[0];
        if (sourceArg == "-") return (null, new NonCacheable(NonCacheableReason.StdinSource, ""));
        if (sourceLanguage is null && !SourceExtensions.Contains(Path.GetExtension(sourceArg)))
            return (null, new NonCacheable(NonCacheableReason.NotASource, sourceArg));

        string outputPath = Abs(output ?? Path.ChangeExtension(Path.GetFileName(sourceArg), ".o")).Value;
        string? userDepfile = null;
        bool defaultTarget = false;
        if (depMD || depMMD)
        {
            userDepfile = depFile is not null ? Abs(depFile).Value : Path.ChangeExtension(outputPath, ".d");
            depOptions.Add(depMD ? "-MD" : "-MMD");
            // The rule's target is the object unless -MT/-MQ name it.
            defaultTarget = !depOptions.Any(o => o.StartsWith("-MT=", StringComparison.Ordinal) || o.StartsWith("-MQ=", StringComparison.Ordinal));
            if (defaultTarget) depOptions.Add("object=" + outputPath);
        }

        // With a base directory, the compiler is asked to write paths under it relative ("." for the
        // base) into debug info and __FILE__, so two checkouts produce the same object. Not when the
        // user maps prefixes already (theirs win).
        // When the user maps prefixes already, theirs win and paths are keyed as they are: nothing
        // says their maps undo this checkout's paths.
        var baseDir = args.Any(a => a.StartsWith("-ffile-prefix-map", StringComparison.Ordinal)
            || a.StartsWith("-fdebug-prefix-map", StringComparison.Ordinal) || a.StartsWith("-fmacro-prefix-map", StringComparison.Ordinal))
            ? null : invocation.BaseDir;
        if (baseDir is not null)
        {
            string map = $"-ffile-prefix-map={baseDir.Root}=.";
            args = [.. args, map];
            flags.Add(map);
        }

        // The include variables are folders too (CPATH after the -I folders, the others after -isystem): the
        // search model follows them. Their values are keyed as environment; an empty element is the working directory.
        foreach (var (name, list) in new[] { ("CPATH", search.User), ("C_INCLUDE_PATH", search.System), ("CPLUS_INCLUDE_PATH", search.System),
                     ("OBJC_INCLUDE_PATH", search.System), ("OBJCPLUS_INCLUDE_PATH", search.System) })
            if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } value)
                list.AddRange(value.Split(Path.PathSeparator).Select(d => Abs(d.Length == 0 ? "." : d)));

        bool conflict = macroOps.Select(op => MacroName(op[2..])).GroupBy(n => n).Any(g => g.Count() > 1);
        var context = new CompileContext
        {
            SourceFile = Abs(sourceArg),
            IncludeSearch = search,
            Defines = [.. defines.Order(StringComparer.Ordinal)],
            Undefines = [.. undefines.Order(StringComparer.Ordinal)],
            OrderedMacroOps = conflict ? macroOps : [],
            Flags = flags,
            ForceIncludes = forceIncludes,
            CommandLineIncludes = commandLineIncludes,
            UnknownFlags = unknown,
        };
        // Besides the context, what changes the output: where it runs (debug info, __FILE__), the
        // source's spelling, the depfile's naming, and the environment variables the compiler reads.
        var extras = new List<KeyValuePair<string, string>>
        {
            new("cwd", NormalizedPath.From(cwd).Value),
            new("source-arg", sourceArg),
            new("depfile", userDepfile is null ? "" : string.Join('\n', depOptions)),
            new("spelled", string.Join('\n', spelled)),
        };
        extras.AddRange(inputFiles);
        if (args.Any(HostCpu.IsNative))
        {
            if (HostCpu.Digest() is not { } cpu) return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "-march=native (the processor cannot be identified)"));
            extras.Add(new("host-cpu", cpu));
        }
        foreach (string name in OutputEnvironment)
            if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } v) extras.Add(new("env:" + name, v));

        // distcc compiles elsewhere and names the user's depfile and its rule after the source (a.d, "a.o:") unless told:
        // a prefixed compile is told what the compiler itself would use, so the depfile is the same with or without it.
        if (userDepfile is not null && invocation.PrefixCommand.Count > 0)
        {
            if (depFile is null) args = [.. args, "-MF", userDepfile];
            if (defaultTarget) args = [.. args, "-MQ", output ?? Path.ChangeExtension(Path.GetFileName(sourceArg), ".o")];
        }

        List<CompileOutput> outputs = [new("object", outputPath)];
        if (userDepfile is not null) outputs.Add(new("depfile", userDepfile));
        return (new CacheableCompile
        {
            Context = context,
            KeyExtras = extras,
            Arguments = args,
            Outputs = outputs,
            // -MMD leaves out system headers (-isystem folders among them): the cache takes the full
            // list from a preprocessing run of its own, and the user gets the file they asked for.
            DependencyFile = depMD ? userDepfile : null,
            DependencyArguments = path => ["-MD", "-MF", path],
            DependencyScan = depMMD && !depMD ? path => [.. WithoutOutputs(args), "-M", "-MF", path] : null,
            IsEnvironmentFailure = stderr => IsDriverFailure(stderr, Path.GetFileName(invocation.Compiler)),
            TimeMacrosMatter = true,
            BaseDir = baseDir,
        }, null);
    }

    /// <summary>The arguments without <c>-c</c>, <c>-o</c> and the dependency options: the rest preprocesses the same.</summary>
    private static List<string> WithoutOutputs(List<string> args)
    {
        var result = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a is "-c" or "-MD" or "-MMD" or "-MP") continue;
            if (a is "-o" or "-MF" or "-MT" or "-MQ") { i++; continue; }
            if (a.StartsWith("-o", StringComparison.Ordinal) || a.StartsWith("-MF", StringComparison.Ordinal)
                || a.StartsWith("-MT", StringComparison.Ordinal) || a.StartsWith("-MQ", StringComparison.Ordinal)) continue;
            result.Add(a);
        }
        return result;
    }

    // Source-generated: a Regex built at run time costs about a millisecond in a NativeAOT launcher, paid by every hit.
    [System.Text.RegularExpressions.GeneratedRegex(
        @"^(?:[\w.+-]*-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|emcc|em\+\+|cc1|cc1plus|cc1obj|as|collect2|ld)(?:-[\d.]+)?(?:\.exe)?: (?:fatal )?error: "
        + @"|internal compiler error|Killed signal terminated program|unable to execute command|clang frontend command failed|cannot execute '|error trying to exec",
        System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex DriverMessage();

    /// <summary>
    /// True when a failed compile failed in the driver or its environment (a program not found,
    /// a crash, a kill), not in the source: such a failure is not replayed from the cache.
    /// </summary>
    public static bool IsDriverFailure(byte[] stderr, string compilerName)
    {
        string text = CompilerProcess.Text(stderr);
        if (text.Length == 0) return true; // failed without saying why: nothing to pin on the source
        string name = System.Text.RegularExpressions.Regex.Escape(Path.GetFileName(compilerName));
        return DriverMessage().IsMatch(text)
            || System.Text.RegularExpressions.Regex.IsMatch(text, "^" + name + ": (?:fatal )?error: ", System.Text.RegularExpressions.RegexOptions.Multiline);
    }

    /// <summary>Options whose value may be joined (<c>-Idir</c>, <c>-isystemdir</c>) or the next argument.</summary>
    private static readonly string[] JoinedValue =
        ["-o", "-I", "-D", "-U", "-x", "-MF", "-MT", "-MQ", "-L", "-l", "-B", "-u", "-T", "-z", "-iquote", "-isystem", "-idirafter", "-include", "-imacros"];

    /// <summary><c>--include-directory=dir</c> read as <c>-I dir</c>, and the other long spellings as their short ones.</summary>
    private static List<string> LongToShort(List<string> args)
    {
        var result = new List<string>(args.Count);
        foreach (string arg in args)
        {
            int eq = arg.IndexOf('=');
            string name = eq < 0 ? arg : arg[..eq];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || !LongAliases.TryGetValue(name, out string? shortName)) { result.Add(arg); continue; }
            if (shortName.EndsWith('=')) { result.Add(eq < 0 ? shortName : shortName + arg[(eq + 1)..]); continue; } // --config
            result.Add(shortName);
            if (eq >= 0) result.Add(arg[(eq + 1)..]);
        }
        return result;
    }

    private static string MacroName(string definition)
    {
        int eq = definition.IndexOf('=');
        return eq < 0 ? definition : definition[..eq];
    }

    // "-lfoo" is -l, but "-undef" is not "-u ndef" and "-Dfoo" is -D; these are the long options that share a prefix.
    private static bool IsLongOptionStartingWith(string arg, string shortName) => shortName switch
    {
        "-u" => arg == "-undef",
        "-T" => arg.StartsWith("-Tbss") || arg.StartsWith("-Tdata") || arg.StartsWith("-Ttext"),
        "-B" => arg is "-Bstatic" or "-Bdynamic" or "-Bsymbolic",
        "-x" => false,
        _ => false,
    };

    /// <summary>Flags known to change code generation or diagnostics, kept in order in the key.</summary>
    private static bool IsKnownFlag(string arg) =>
        arg.StartsWith("-std=") || arg.StartsWith("-O") || arg.StartsWith("-f") || arg.StartsWith("-m") || arg.StartsWith("-W")
        || arg.StartsWith("-g") || arg == "-w" || arg.StartsWith("-pedantic") || arg == "-ansi" || arg.StartsWith("-nostdinc")
        || arg == "-pthread" || arg == "-p" || arg == "-pg" || arg == "-pipe" || arg.StartsWith("--sysroot") || arg.StartsWith("--target")
        || arg.StartsWith("-march") || arg.StartsWith("-stdlib") || arg == "-undef" || arg == "-P" || arg == "-C" || arg == "-CC"
        || arg.StartsWith("-s") || arg == "-static" || arg == "-shared" || arg == "-rdynamic" || arg == "-trigraphs";
}
