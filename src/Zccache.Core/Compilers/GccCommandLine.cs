using Zccache.Core.Contexts;
using Zccache.Core.Paths;

namespace Zccache.Core.Compilers;

/// <summary>
/// Reads a gcc, clang or emcc command line into a <see cref="CacheableCompile"/>, or says why it cannot
/// be cached. Conservative: an option it does not know is kept verbatim in the key, and an option
/// whose effect it cannot capture makes the call non-cacheable.
/// </summary>
public static class GccCommandLine
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
    };

    private static readonly string[] UnsupportedPrefixes =
    [
        "-save-temps", "-fprofile-use", "-fprofile-generate", "-fauto-profile", "-fcreate-profile", "-gsplit-dwarf",
        "-Wp,", "-specs", "--specs", "-fdump-", "-fcallgraph-info", "-fmodules", "-fmodule-",
    ];

    /// <summary>Environment variables that change what gcc/clang produce (or the language of their messages).</summary>
    private static readonly string[] OutputEnvironment =
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

    public static (CacheableCompile? Compile, NonCacheable? Why) Parse(CompileInvocation invocation)
    {
        foreach (string name in SideOutputEnvironment)
            if (!string.IsNullOrEmpty(invocation.GetEnvironmentVariable(name)))
                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, name));

        List<string> args;
        try { args = ResponseFiles.Expand(invocation.Arguments, invocation.WorkingDirectory); }
        catch (ResponseFileException e) { return (null, new NonCacheable(NonCacheableReason.BadResponseFile, e.Message)); }

        string cwd = invocation.WorkingDirectory;
        NormalizedPath Abs(string p) => NormalizedPath.From(p, cwd);

        var search = new IncludeSearchPaths();
        var defines = new List<string>();
        var undefines = new List<string>();
        var macroOps = new List<string>();
        var flags = new List<string>();
        var forceIncludes = new List<NormalizedPath>();
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
            foreach (string name in new[] { "-o", "-I", "-D", "-U", "-x", "-MF", "-MT", "-MQ", "-L", "-l", "-B", "-u", "-T", "-z" })
            {
                if (arg == name) { option = name; break; }
                if (arg.StartsWith(name, StringComparison.Ordinal) && name.Length == 2 && !IsLongOptionStartingWith(arg, name)) { option = name; value = arg[2..]; break; }
                if (arg.StartsWith(name, StringComparison.Ordinal) && name.Length == 3 && arg.Length > 3) { option = name; value = arg[3..]; break; }
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
                case "-I": search.User.Add(Abs(value!)); break;
                case "-iquote": search.Quote.Add(Abs(value!)); break;
                case "-isystem": search.System.Add(Abs(value!)); break;
                case "-idirafter": search.After.Add(Abs(value!)); break;
                case "-include": forceIncludes.Add(Abs(value!)); break;
                case "-imacros": flags.Add("-imacros=" + Abs(value!).Value); break;
                case "-D": defines.Add(value!); macroOps.Add("-D" + value); break;
                case "-U": undefines.Add(value!); macroOps.Add("-U" + value); break;
                case "-x": language = value == "none" ? null : value; flags.Add("-x" + value); break;
                case "-MD": depMD = true; break;
                case "-MMD": depMMD = true; break;
                case "-MF": depFile = value; depOptions.Add("-MF=" + Abs(value!).Value); break;
                case "-MT": case "-MQ": depOptions.Add(option + "=" + value); break;
                case "-MP": depOptions.Add("-MP"); break;
                case "-L": case "-l": case "-u": case "-T": case "-z": case "-Xlinker": break; // link-only, no effect with -c
                case "-B": case "-isysroot": case "-iprefix": case "-iwithprefix": case "-iwithprefixbefore":
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
        if (depMD || depMMD)
        {
            userDepfile = depFile is not null ? Abs(depFile).Value : Path.ChangeExtension(outputPath, ".d");
            depOptions.Add(depMD ? "-MD" : "-MMD");
            depOptions.Add("object=" + outputPath);
        }

        // With a base directory, the compiler is asked to write paths under it relative ("." for the
        // base) into debug info and __FILE__, so two checkouts produce the same object. Not when the
        // user maps prefixes already (theirs win).
        var baseDir = invocation.BaseDir;
        if (baseDir is not null && !args.Any(a => a.StartsWith("-ffile-prefix-map", StringComparison.Ordinal)
                || a.StartsWith("-fdebug-prefix-map", StringComparison.Ordinal) || a.StartsWith("-fmacro-prefix-map", StringComparison.Ordinal)))
        {
            string map = $"-ffile-prefix-map={baseDir.Root}=.";
            args = [.. args, map];
            flags.Add(map);
        }

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
            UnknownFlags = unknown,
        };
        // Besides the context, what changes the output: where it runs (debug info, __FILE__), the
        // source's spelling, the depfile's naming, and the environment variables the compiler reads.
        var extras = new List<KeyValuePair<string, string>>
        {
            new("cwd", NormalizedPath.From(cwd).Value),
            new("source-arg", sourceArg),
            new("depfile", userDepfile is null ? "" : string.Join('\n', depOptions)),
        };
        foreach (string name in OutputEnvironment)
            if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } v) extras.Add(new("env:" + name, v));

        List<CompileOutput> outputs = [new("object", outputPath)];
        if (userDepfile is not null) outputs.Add(new("depfile", userDepfile));
        return (new CacheableCompile
        {
            Context = context,
            KeyExtras = extras,
            Arguments = args,
            Outputs = outputs,
            DependencyFile = userDepfile,
            DependencyArguments = path => ["-MD", "-MF", path],
            TimeMacrosMatter = true,
            BaseDir = baseDir,
        }, null);
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
