using Zccache.Core.Contexts;
using Zccache.Core.Paths;

namespace Zccache.Core.Compilers;

/// <summary>
/// Reads an MSVC-style command line (cl.exe, clang-cl) into a <see cref="CacheableCompile"/>, or says
/// why it cannot be cached. Options start with <c>/</c> or <c>-</c> and are case-sensitive, as cl's
/// are; <c>CL</c> is read before the arguments and <c>_CL_</c> after them, as cl does. The compiler
/// reports what it read as <c>/showIncludes</c> notes on its standard output (see <see cref="IncludeNotes"/>).
/// Conservative like the gcc reader: an unknown option enters the key verbatim, one with effects the
/// cache cannot capture (extra outputs, a shared PDB, precompiled headers) makes the call non-cacheable.
/// </summary>
public static class ClCommandLine
{
    /// <summary>Options that take a value, attached (<c>/DX</c>) or as the next argument (<c>/D X</c>); longest first.</summary>
    private static readonly string[] ValueOptions = ["external:I", "imsvc", "FI", "Tc", "Tp", "D", "U", "I"];

    /// <summary>Options (without their prefix) whose effect the cache cannot capture: extra outputs, timings, modules.</summary>
    private static readonly string[] UnsupportedPrefixes =
    [
        "Fa", "FA", "Fe", "Fi", "Fm", "FR", "Fr", "Fx", "doc", "Gm", "analyze", "sourceDependencies", "Bt", "d1reportTime", "d2cgsummary",
        "showIncludes:", "interface", "ifc", "reference", "headerUnit", "headerName", "translateInclude", "exportHeader",
        "experimental:module", "Zs", "clang:", "Xclang", "Bv", "HELP", "help", "?",
    ];

    /// <summary>Environment variables that change what cl or clang-cl produce (or the language of their messages).</summary>
    private static readonly string[] OutputEnvironment =
    [
        "CL", "_CL_", "INCLUDE", "EXTERNAL_INCLUDE", "VSLANG", "SOURCE_DATE_EPOCH",
        "VCToolsInstallDir", "VCINSTALLDIR", "WindowsSdkDir", "WindowsSDKVersion", "LANG", "LC_ALL",
    ];

    /// <summary>True when <paramref name="compiler"/> names cl or clang-cl (any case,
    /// with <c>.exe</c>, versioned: <c>clang-cl-14</c>), in either path style.</summary>
    public static bool IsClFamily(string compiler) => Family(compiler) is not null;

    /// <summary>True for clang-cl, which differs from cl in a few details (no <c>/Fo:</c>, <c>/Zi</c> means <c>/Z7</c>).</summary>
    public static bool IsClangCl(string compiler) => Family(compiler) == "clang-cl";

    private static string? Family(string compiler)
    {
        string name = WindowsPath.FileName(compiler).ToLowerInvariant();
        if (name.EndsWith(".exe", StringComparison.Ordinal)) name = name[..^4];
        if (name is "cl" or "clang-cl") return name;
        // clang-cl-14, clang-cl-14.0
        return name.StartsWith("clang-cl-", StringComparison.Ordinal) && name[9..].Length > 0
            && name[9..].All(c => char.IsDigit(c) || c == '.')
            ? "clang-cl" : null;
    }

    public static (CacheableCompile? Compile, NonCacheable? Why) Parse(CompileInvocation invocation)
    {
        string cwd = invocation.WorkingDirectory;
        bool clang = IsClangCl(invocation.Compiler);
        List<string> args;
        try
        {
            // cl reads CL before its arguments and _CL_ after them ('#' stands for '=' there).
            args =
            [
                .. WindowsCommandLine.Split((invocation.GetEnvironmentVariable("CL") ?? "").Replace('#', '=')),
                .. ExpandResponseFiles(invocation.Arguments, cwd, 0),
                .. WindowsCommandLine.Split((invocation.GetEnvironmentVariable("_CL_") ?? "").Replace('#', '=')),
            ];
        }
        catch (ResponseFileException e) { return (null, new NonCacheable(NonCacheableReason.BadResponseFile, e.Message)); }

        string Abs(string p) => WindowsPath.Full(p, cwd);
        var search = new IncludeSearchPaths();
        var defines = new List<string>();
        var undefines = new List<string>();
        var macroOps = new List<string>();
        var flags = new List<string>();
        var forceIncludes = new List<string>();
        var unknown = new List<string>();
        var sources = new List<(string Arg, string? Language)>();
        string? output = null;
        bool compileOnly = false, preprocessOnly = false, userNotes = false, noStandardIncludes = false;
        string? language = null;

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--") { sources.AddRange(args.Skip(i + 1).Select(a => (a, language))); break; }
            if (arg.Length < 2 || (arg[0] != '/' && arg[0] != '-') || IsPathNotOption(arg, cwd)) { sources.Add((arg, language)); continue; }
            string o = arg[1..];

            if (o is "Zi" or "ZI" && !clang) return (null, new NonCacheable(NonCacheableReason.ProgramDatabase, arg));
            if (o.StartsWith("Yc", StringComparison.Ordinal) || o.StartsWith("Yu", StringComparison.Ordinal))
                return (null, new NonCacheable(NonCacheableReason.PrecompiledHeader, arg));
            if (o is "E" or "P" or "EP") { preprocessOnly = true; continue; }
            if (UnsupportedPrefixes.Any(p => o.StartsWith(p, StringComparison.Ordinal)))
                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, arg));

            if (o == "c") { compileOnly = true; continue; }
            if (o == "showIncludes") { userNotes = true; continue; }
            if (o == "link") { flags.AddRange(args.Skip(i)); break; } // linker options: no effect with /c
            if (o.StartsWith("Fo", StringComparison.Ordinal))
            {
                // /Fofile, /Fo:file and /Fo: file (cl); clang-cl 14 reads "/Fo:x"
                // as the file ":x", so the colon forms are left to the compiler.
                string value = o[2..];
                if (value.StartsWith(':'))
                {
                    if (clang) return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, arg + " (clang-cl: write /Fo<file>)"));
                    value = value[1..];
                    if (value.Length == 0)
                    {
                        if (i + 1 >= args.Count)
                            return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, "/Fo: without a value"));
                        value = args[++i];
                    }
                }
                output = value;
                continue;
            }
            // PDB/PCH names: no effect on a /Z7 object, kept in the key
            if (o.StartsWith("Fd", StringComparison.Ordinal) || o.StartsWith("Fp", StringComparison.Ordinal)) { flags.Add(arg); continue; }
            if (o is "TC" or "TP") { language = o; flags.Add("/" + o); continue; }
            if (o is "o" && i + 1 < args.Count) { output = args[++i]; continue; } // deprecated spelling of /Fo (clang-cl: -o)
            if (o.StartsWith("external:env:", StringComparison.Ordinal))
            {
                // Include directories from a variable: its value enters the key.
                flags.Add(arg + "=" + invocation.GetEnvironmentVariable(o["external:env:".Length..]));
                continue;
            }
            if (o == "X") { noStandardIncludes = true; flags.Add("/X"); continue; }

            string? option = ValueOptions.FirstOrDefault(v => o.StartsWith(v, StringComparison.Ordinal));
            if (option is not null)
            {
                string value = o[option.Length..];
                if (value.Length == 0)
                {
                    if (i + 1 >= args.Count)
                        return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, $"{arg} without a value"));
                    value = args[++i];
                }
                switch (option)
                {
                    case "D": string d = value.Replace('#', '='); defines.Add(d); macroOps.Add("/D" + d); break;
                    case "U": undefines.Add(value); macroOps.Add("/U" + value); break;
                    case "I": search.User.Add(NormalizedPath.From(Abs(value))); break;
                    case "external:I": case "imsvc": search.System.Add(NormalizedPath.From(Abs(value))); break;
                    case "FI": forceIncludes.Add(Abs(value)); break;
                    case "Tc": sources.Add((value, "TC")); break;
                    case "Tp": sources.Add((value, "TP")); break;
                }
                continue;
            }
            // Anything else changes code generation or diagnostics as far as we know: kept in order in the key.
            if (IsKnownFlag(o)) flags.Add(arg);
            else unknown.Add(arg);
        }

        if (preprocessOnly) return (null, new NonCacheable(NonCacheableReason.PreprocessOnly, ""));
        if (!compileOnly) return (null, new NonCacheable(NonCacheableReason.Linking, "no /c"));
        if (sources.Count == 0) return (null, new NonCacheable(NonCacheableReason.NoSource, ""));
        if (sources.Count > 1)
            return (null, new NonCacheable(NonCacheableReason.MultipleSources, string.Join(' ', sources.Select(s => s.Arg))));
        var (sourceArg, sourceLanguage) = sources[0];
        if (sourceLanguage is null && !IsSource(sourceArg)) return (null, new NonCacheable(NonCacheableReason.NotASource, sourceArg));

        string objectName = Path.ChangeExtension(WindowsPath.FileName(sourceArg), ".obj");
        string objectPath = output is null ? Abs(objectName)
            : output.EndsWith('/') || output.EndsWith('\\') ? WindowsPath.Join(Abs(output), objectName)
            : Abs(WindowsPath.HasExtension(output) ? output : output + ".obj"); // cl adds .obj to a name without one

        // Where cl finds headers after the command line's directories: INCLUDE, then EXTERNAL_INCLUDE (unless /X).
        if (!noStandardIncludes)
        {
            foreach (string name in new[] { "INCLUDE", "EXTERNAL_INCLUDE" })
                foreach (string dir in (invocation.GetEnvironmentVariable(name) ?? "")
                    .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    search.After.Add(NormalizedPath.From(Abs(dir)));
        }

        bool conflict = macroOps.Select(op => MacroName(op[2..])).GroupBy(n => n).Any(g => g.Count() > 1);
        var context = new CompileContext
        {
            SourceFile = NormalizedPath.From(Abs(sourceArg)),
            IncludeSearch = search,
            Defines = [.. defines.Order(StringComparer.Ordinal)],
            Undefines = [.. undefines.Order(StringComparer.Ordinal)],
            OrderedMacroOps = conflict ? macroOps : [],
            Flags = flags,
            ForceIncludes = [.. forceIncludes.Select(f => NormalizedPath.From(f))],
            UnknownFlags = unknown,
        };
        // Besides the context: where it runs and the object's name (CodeView records both), the
        // source's spelling, whether the user sees the include notes, and the environment cl reads.
        var extras = new List<KeyValuePair<string, string>>
        {
            new("cwd", cwd),
            new("source-arg", sourceArg),
            new("object", objectPath),
            new("show-includes", userNotes ? "1" : "0"),
        };
        foreach (string name in OutputEnvironment)
            if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } v) extras.Add(new("env:" + name, v));

        return (new CacheableCompile
        {
            Context = context,
            KeyExtras = extras,
            Arguments = invocation.Arguments, // CL, _CL_ and response files are the compiler's to read again
            Outputs = [new("object", objectPath)],
            DependencyArguments = _ => userNotes ? [] : ["/showIncludes"],
            IncludeNotes = new IncludeNotes(Keep: userNotes),
            TimeMacrosMatter = true,
        }, null);
    }

    private static bool IsSource(string arg) =>
        WindowsPath.Extension(arg).ToLowerInvariant() is ".c" or ".cpp" or ".cxx" or ".cc" or ".c++" or ".cp" or ".ixx" or ".cppm";

    /// <summary>On Linux, <c>/home/me/a.c</c> is a file, not an option: as clang-cl, an
    /// argument naming an existing file that no option explains is an input.</summary>
    private static bool IsPathNotOption(string arg, string cwd) =>
        arg[0] == '/' && !OperatingSystem.IsWindows() && arg.IndexOf('/', 1) > 0 && !ValueOptions.Any(v => arg.AsSpan(1).StartsWith(v))
        && !arg.StartsWith("/Fo", StringComparison.Ordinal) && !arg.StartsWith("/Fd", StringComparison.Ordinal)
        && !arg.StartsWith("/Fp", StringComparison.Ordinal)
        && File.Exists(arg);

    private static string MacroName(string definition)
    {
        int eq = definition.IndexOf('=');
        return eq < 0 ? definition : definition[..eq];
    }

    /// <summary>Flags known to change code generation or diagnostics (the rest are kept too, as unknown).</summary>
    private static bool IsKnownFlag(string o) =>
        o is "MD" or "MDd" or "MT" or "MTd" or "LD" or "LDd" or "Z7" or "utf-8" or "nologo" or "bigobj" or "sdl" or "sdl-" or "FS" or "MP"
        || (o.Length > 0 && o[0] is 'O' or 'W' or 'w' or 'G' or 'm' or 'f')
        || KnownFlagPrefixes.Any(prefix => o.StartsWith(prefix, StringComparison.Ordinal));

    private static readonly string[] KnownFlagPrefixes =
    [
        "std:", "EH", "Zc:", "Zp", "arch:", "fp:", "permissive", "source-charset:", "execution-charset:", "diagnostics:", "external:",
        "RTC", "guard:", "Qspectre", "volatile:", "Zi", "ZI", "-target",
    ];

    /// <summary>
    /// <c>@file</c> expanded as cl does: the file's text (UTF-16 with a BOM, as MSBuild writes
    /// them, or UTF-8) split by Windows' rules, relative to the working directory, nested.
    /// </summary>
    private static List<string> ExpandResponseFiles(IEnumerable<string> args, string cwd, int depth)
    {
        if (depth > 16) throw new ResponseFileException("response files nest too deeply");
        var result = new List<string>();
        foreach (string arg in args)
        {
            if (arg.Length < 2 || arg[0] != '@') { result.Add(arg); continue; }
            string path = WindowsPath.Full(arg[1..], cwd);
            if (!File.Exists(path)) throw new ResponseFileException($"response file '{arg[1..]}' does not exist");
            result.AddRange(ExpandResponseFiles(WindowsCommandLine.Split(File.ReadAllText(path)), cwd, depth + 1));
        }
        return result;
    }
}
