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

    /// <summary>True when <paramref name="compiler"/> names a gcc-family compiler (also
    /// versioned or cross: <c>g++-12</c>, <c>x86_64-linux-gnu-gcc</c>).</summary>
    public static bool IsGccFamily(string compiler)
    {
        string name = Path.GetFileNameWithoutExtension(compiler);
        if (CompilerNames.Contains(name)) return true;
        int dash = name.LastIndexOf('-');
        // g++-12, clang-14
        if (dash > 0 && name[(dash + 1)..].All(c => char.IsDigit(c) || c == '.') && CompilerNames.Contains(name[..dash])) return true;
        // x86_64-linux-gnu-gcc, x86_64-linux-gnu-g++-12
        return CompilerNames.Any(c =>
            name.EndsWith("-" + c, StringComparison.Ordinal) || name.Contains("-" + c + "-", StringComparison.Ordinal));
    }

    public static (CacheableCompile? Compile, NonCacheable? Why) Parse(CompileInvocation invocation, FileHashMemo? memo = null)
    {
        foreach (string name in SideOutputEnvironment)
            if (!string.IsNullOrEmpty(invocation.GetEnvironmentVariable(name)))
                return (null, Unsupported(name));

        List<string> args;
        try { args = LongToShort(ResponseFiles.Expand(invocation.Arguments, invocation.WorkingDirectory)); }
        catch (ResponseFileException e) { return (null, new NonCacheable(NonCacheableReason.BadResponseFile, e.Message)); }

        var parsed = new ParsedArgs(invocation.WorkingDirectory, memo ?? FileHashMemo.Shared);
        if ((parsed.Read(args) ?? parsed.WhyNotOneCompile()) is { } why) return (null, why);

        string objectArg = parsed.Output ?? Path.ChangeExtension(Path.GetFileName(parsed.Source), ".o");
        string outputPath = parsed.Abs(objectArg).Value;
        var (userDepfile, defaultTarget) = parsed.DependencyFile(outputPath);

        // With a base directory, the compiler is asked to write paths under it relative ("." for the
        // base) into debug info and __FILE__, so two checkouts produce the same object.
        // When the user maps prefixes already, theirs win and paths are keyed as they are: nothing
        // says their maps undo this checkout's paths.
        var baseDir = MapsPrefixes(args) ? null : invocation.BaseDir;
        if (baseDir is not null)
        {
            string map = $"-ffile-prefix-map={baseDir.Root}=.";
            args = [.. args, map];
            parsed.Flags.Add(map);
        }

        parsed.AddIncludeVariables(invocation);
        var context = parsed.Context();
        var (extras, cpuUnknown) = parsed.KeyExtras(invocation, args, userDepfile);
        if (extras is null) return (null, cpuUnknown);

        // distcc compiles elsewhere and names the user's depfile and its rule after the source (a.d, "a.o:") unless told:
        // a prefixed compile is told what the compiler itself would use, so the depfile is the same with or without it.
        if (userDepfile is not null && invocation.PrefixCommand.Count > 0)
        {
            if (parsed.DepFile is null) args = [.. args, "-MF", userDepfile];
            if (defaultTarget) args = [.. args, "-MQ", objectArg];
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
            DependencyFile = parsed.DepMD ? userDepfile : null,
            DependencyArguments = path => ["-MD", "-MF", path],
            DependencyScan = parsed.DepMMD && !parsed.DepMD ? path => [.. WithoutOutputs(args), "-M", "-MF", path] : null,
            IsEnvironmentFailure = stderr => IsDriverFailure(stderr, Path.GetFileName(invocation.Compiler)),
            TimeMacrosMatter = true,
            BaseDir = baseDir,
        }, null);
    }

    private static NonCacheable Unsupported(string what) => new(NonCacheableReason.UnsupportedOption, what);

    private static bool MapsPrefixes(List<string> args) => args.Any(a => a.StartsWith("-ffile-prefix-map", StringComparison.Ordinal)
        || a.StartsWith("-fdebug-prefix-map", StringComparison.Ordinal) || a.StartsWith("-fmacro-prefix-map", StringComparison.Ordinal));

    /// <summary>
    /// What a command line says, read one argument at a time (ccache keeps the same in its ArgsInfo): the include
    /// search, the macros, the flags in order, the sources, the outputs and the dependency options.
    /// </summary>
    private sealed class ParsedArgs(string cwd, FileHashMemo memo)
    {
        public List<string> Flags { get; } = [];
        public string? Output { get; private set; }
        public string? DepFile { get; private set; }
        public bool DepMD { get; private set; }
        public bool DepMMD { get; private set; }
        private readonly IncludeSearchPaths _search = new();
        private readonly List<string> _defines = [], _undefines = [], _macroOps = [], _unknown = [], _depOptions = [];
        private readonly List<NormalizedPath> _forceIncludes = [];
        private readonly List<string> _commandLineIncludes = [];
        private readonly List<string> _spelled = []; // include folders and files as written: __FILE__ and debug info keep the spelling
        private readonly List<KeyValuePair<string, string>> _inputFiles = [];
        private readonly List<(string Arg, string? Language)> _sources = [];
        private string? _language;
        private bool _compileOnly, _preprocessOnly;

        public NormalizedPath Abs(string path) => NormalizedPath.From(path, cwd);

        /// <summary>The one source, once <see cref="WhyNotOneCompile"/> has said there is one.</summary>
        public string Source => _sources[0].Arg;

        /// <summary>Reads every argument; why the call cannot be cached when one says so.</summary>
        public NonCacheable? Read(List<string> args)
        {
            for (int i = 0; i < args.Count; i++)
                if (ReadArgument(args, ref i) is { } why) return why;
            return null;
        }

        private NonCacheable? ReadArgument(List<string> args, ref int i)
        {
            string arg = args[i];
            if (arg == "-" || !arg.StartsWith('-')) { _sources.Add((arg, _language)); return null; }
            if (UnsupportedOptions.Contains(arg) || UnsupportedPrefixes.Any(p => arg.StartsWith(p, StringComparison.Ordinal)))
                return Unsupported(arg);
            if (InputFileOptions.FirstOrDefault(p => arg.StartsWith(p, StringComparison.Ordinal)) is { } fileOption)
                return ReadInputFile(arg, fileOption);

            var (option, value) = SplitJoinedValue(arg);
            if (value is null && TakesValue.Contains(option))
            {
                if (i + 1 >= args.Count) return Unsupported($"{option} without a value");
                value = args[++i];
            }
            switch (option)
            {
                case "-c": _compileOnly = true; break;
                case "-E" or "-M" or "-MM": _preprocessOnly = true; break;
                case "-o": Output = value; break;
                case "-I" or "-iquote" or "-isystem" or "-idirafter" or "-include" or "-imacros": return ReadInclude(option, value!);
                case "-D": _defines.Add(value!); _macroOps.Add(option + value); break;
                case "-U": _undefines.Add(value!); _macroOps.Add(option + value); break;
                case "-x": _language = value == "none" ? null : value; Flags.Add("-x" + value); break;
                case "-MD" or "-MMD" or "-MF" or "-MT" or "-MQ" or "-MP": ReadDependencyOption(option, value); break;
                case "-L" or "-l" or "-u" or "-T" or "-z" or "-Xlinker": break; // link-only, no effect with -c
                case "-B" or "-isysroot" or "-iprefix": Flags.Add(option + "=" + Abs(value!).Value); break;
                default:
                    if (value is not null) Flags.Add(option + "=" + value);
                    else if (IsKnownFlag(arg)) Flags.Add(arg);
                    else _unknown.Add(arg);
                    break;
            }
            return null;
        }

        /// <summary>"-Ifoo" as ("-I", "foo"), "-I" as ("-I", null) (its value is the next argument), any other option as itself.</summary>
        private static (string Option, string? Value) SplitJoinedValue(string arg)
        {
            foreach (string name in JoinedValue)
            {
                if (arg == name) return (name, null);
                if (arg.StartsWith(name, StringComparison.Ordinal) && name.Length == 2 && !IsLongOptionStartingWith(arg, name))
                    return (name, arg[2..]);
                if (arg.StartsWith(name, StringComparison.Ordinal) && name.Length >= 3 && arg.Length > name.Length)
                    return (name, arg[name.Length..]);
            }
            return (arg, null);
        }

        /// <summary>An option naming a file the compiler reads unlisted: the file's content is keyed.</summary>
        private NonCacheable? ReadInputFile(string arg, string fileOption)
        {
            if (arg.Length == fileOption.Length) return Unsupported(arg);
            string file = Abs(arg[fileOption.Length..]).Value;
            if (memo.Get(file) is not { } facts) return new NonCacheable(NonCacheableReason.MissingInput, arg);
            _inputFiles.Add(new("file:" + fileOption + file, facts.Hash.Hex));
            Flags.Add(arg);
            return null;
        }

        /// <summary>An include folder (followed by the search model) or a file included from the command line.</summary>
        private NonCacheable? ReadInclude(string option, string value)
        {
            switch (option)
            {
                case "-include": _forceIncludes.Add(Abs(value)); _commandLineIncludes.Add(value); break;
                case "-imacros": Flags.Add("-imacros=" + Abs(value).Value); _commandLineIncludes.Add(value); break;
                default:
                    // "=dir" and "$SYSROOT/dir" are under the sysroot: not followed.
                    if (value.StartsWith('=') || value.StartsWith("$SYSROOT", StringComparison.Ordinal)) return Unsupported(option + value);
                    (option switch { "-I" => _search.User, "-iquote" => _search.Quote, "-isystem" => _search.System, _ => _search.After })
                        .Add(Abs(value));
                    break;
            }
            _spelled.Add(option + value);
            return null;
        }

        private void ReadDependencyOption(string option, string? value)
        {
            switch (option)
            {
                case "-MD": DepMD = true; break;
                case "-MMD": DepMMD = true; break;
                case "-MF": DepFile = value; break; // where it goes, not what it says
                case "-MP": _depOptions.Add(option); break;
                default: _depOptions.Add(option + "=" + value); break; // -MT, -MQ
            }
        }

        /// <summary>Why the arguments are not one compile of one source to an object, or null.</summary>
        public NonCacheable? WhyNotOneCompile()
        {
            if (_preprocessOnly) return new NonCacheable(NonCacheableReason.PreprocessOnly, "");
            if (!_compileOnly) return new NonCacheable(NonCacheableReason.Linking, "no -c");
            if (_sources.Count == 0) return new NonCacheable(NonCacheableReason.NoSource, "");
            if (_sources.Count > 1)
                return new NonCacheable(NonCacheableReason.MultipleSources, string.Join(' ', _sources.Select(s => s.Arg)));
            var (source, language) = _sources[0];
            if (source == "-") return new NonCacheable(NonCacheableReason.StdinSource, "");
            if (language is null && !SourceExtensions.Contains(Path.GetExtension(source)))
                return new NonCacheable(NonCacheableReason.NotASource, source);
            return null;
        }

        /// <summary>
        /// The depfile the user asked for (-MD, -MMD; null without), and whether its rule's target is the object
        /// (no -MT or -MQ): both enter the dependency options keyed.
        /// </summary>
        public (string? Path, bool DefaultTarget) DependencyFile(string objectPath)
        {
            if (!DepMD && !DepMMD) return (null, false);
            string path = DepFile is not null ? Abs(DepFile).Value : Path.ChangeExtension(objectPath, ".d");
            _depOptions.Add(DepMD ? "-MD" : "-MMD");
            bool defaultTarget = !_depOptions.Any(o =>
                o.StartsWith("-MT=", StringComparison.Ordinal) || o.StartsWith("-MQ=", StringComparison.Ordinal));
            if (defaultTarget) _depOptions.Add("object=" + objectPath);
            return (path, defaultTarget);
        }

        /// <summary>
        /// The include variables are folders too (CPATH after the -I folders, the others after -isystem): the search
        /// model follows them. Their values are keyed as environment; an empty element is the working directory.
        /// </summary>
        public void AddIncludeVariables(CompileInvocation invocation)
        {
            foreach (var (name, list) in new[] { ("CPATH", _search.User), ("C_INCLUDE_PATH", _search.System),
                         ("CPLUS_INCLUDE_PATH", _search.System), ("OBJC_INCLUDE_PATH", _search.System),
                         ("OBJCPLUS_INCLUDE_PATH", _search.System) })
                if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } value)
                    list.AddRange(value.Split(Path.PathSeparator).Select(d => Abs(d.Length == 0 ? "." : d)));
        }

        public CompileContext Context()
        {
            bool conflict = _macroOps.Select(op => MacroName(op[2..])).GroupBy(n => n).Any(g => g.Count() > 1);
            return new CompileContext
            {
                SourceFile = Abs(Source),
                IncludeSearch = _search,
                Defines = [.. _defines.Order(StringComparer.Ordinal)],
                Undefines = [.. _undefines.Order(StringComparer.Ordinal)],
                OrderedMacroOps = conflict ? _macroOps : [],
                Flags = Flags,
                ForceIncludes = _forceIncludes,
                CommandLineIncludes = _commandLineIncludes,
                UnknownFlags = _unknown,
            };
        }

        /// <summary>
        /// Besides the context, what changes the output: where it runs (debug info, __FILE__), the source's spelling,
        /// the depfile's naming, the files read unlisted, the processor (-march=native) and the environment variables
        /// the compiler reads. Not cacheable when -march=native is asked for and the processor cannot be identified.
        /// </summary>
        public (List<KeyValuePair<string, string>>? Extras, NonCacheable? Why) KeyExtras(CompileInvocation invocation, List<string> args,
            string? userDepfile)
        {
            var extras = new List<KeyValuePair<string, string>>
            {
                new("cwd", NormalizedPath.From(cwd).Value),
                new("source-arg", Source),
                new("depfile", userDepfile is null ? "" : string.Join('\n', _depOptions)),
                new("spelled", string.Join('\n', _spelled)),
            };
            extras.AddRange(_inputFiles);
            if (args.Any(HostCpu.IsNative))
            {
                if (HostCpu.Digest() is not { } cpu) return (null, Unsupported("-march=native (the processor cannot be identified)"));
                extras.Add(new("host-cpu", cpu));
            }
            foreach (string name in OutputEnvironment)
                if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } v) extras.Add(new("env:" + name, v));
            return (extras, null);
        }
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
        @"^(?:[\w.+-]*-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|emcc|em\+\+|cc1|cc1plus|cc1obj|as|collect2|ld)"
        + @"(?:-[\d.]+)?(?:\.exe)?: (?:fatal )?error: "
        + @"|internal compiler error|Killed signal terminated program|unable to execute command|clang frontend command failed"
        + @"|cannot execute '|error trying to exec",
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
            || System.Text.RegularExpressions.Regex.IsMatch(text, "^" + name + ": (?:fatal )?error: ",
                System.Text.RegularExpressions.RegexOptions.Multiline);
    }

    /// <summary>Options whose value may be joined (<c>-Idir</c>, <c>-isystemdir</c>) or the next argument.</summary>
    private static readonly string[] JoinedValue =
        ["-o", "-I", "-D", "-U", "-x", "-MF", "-MT", "-MQ", "-L", "-l", "-B", "-u", "-T", "-z", "-iquote", "-isystem", "-idirafter",
            "-include", "-imacros"];

    /// <summary><c>--include-directory=dir</c> read as <c>-I dir</c>, and the other long spellings as their short ones.</summary>
    private static List<string> LongToShort(List<string> args)
    {
        var result = new List<string>(args.Count);
        foreach (string arg in args)
        {
            int eq = arg.IndexOf('=');
            string name = eq < 0 ? arg : arg[..eq];
            if (!arg.StartsWith("--", StringComparison.Ordinal)
                || !LongAliases.TryGetValue(name, out string? shortName)) { result.Add(arg); continue; }
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
        "-T" => arg.StartsWith("-Tbss", StringComparison.Ordinal) || arg.StartsWith("-Tdata", StringComparison.Ordinal)
            || arg.StartsWith("-Ttext", StringComparison.Ordinal),
        "-B" => arg is "-Bstatic" or "-Bdynamic" or "-Bsymbolic",
        "-x" => false,
        _ => false,
    };

    /// <summary>Flags known to change code generation or diagnostics, kept in order in the key.</summary>
    private static bool IsKnownFlag(string arg) =>
        arg.StartsWith("-std=", StringComparison.Ordinal) || arg.StartsWith("-O", StringComparison.Ordinal)
        || arg.StartsWith("-f", StringComparison.Ordinal) || arg.StartsWith("-m", StringComparison.Ordinal)
        || arg.StartsWith("-W", StringComparison.Ordinal)
        || arg.StartsWith("-g", StringComparison.Ordinal) || arg == "-w" || arg.StartsWith("-pedantic", StringComparison.Ordinal)
        || arg == "-ansi" || arg.StartsWith("-nostdinc", StringComparison.Ordinal)
        || arg == "-pthread" || arg == "-p" || arg == "-pg" || arg == "-pipe" || arg.StartsWith("--sysroot", StringComparison.Ordinal)
        || arg.StartsWith("--target", StringComparison.Ordinal)
        || arg.StartsWith("-march", StringComparison.Ordinal) || arg.StartsWith("-stdlib", StringComparison.Ordinal) || arg == "-undef"
        || arg == "-P" || arg == "-C" || arg == "-CC"
        || arg.StartsWith("-s", StringComparison.Ordinal) || arg == "-static" || arg == "-shared" || arg == "-rdynamic"
        || arg == "-trigraphs";
}
