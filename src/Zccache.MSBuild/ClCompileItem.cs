using System.Security.Cryptography;
using System.Text;
using Microsoft.Build.Framework;
using Zccache.Core.Compilers;

namespace Zccache.MSBuild;

/// <summary>
/// Turns a <c>ClCompile</c> item and its vcxproj-style metadata into a gcc/clang command line, or a
/// cl one for cl and clang-cl (<see cref="FromMsvc"/>). Pure mapping: the cache itself never sees MSBuild.
/// </summary>
public sealed class ClCompileItem
{
    public required string Source { get; init; }
    public required string ObjectFile { get; init; }
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Maps <paramref name="item"/>; throws <see cref="FormatException"/> for metadata that cannot be read.</summary>
    /// <param name="keepProgramDatabase">cl only: compile ProgramDatabase and
    /// EditAndContinue as written (/Zi, /ZI: not cached) instead of /Z7.</param>
    /// <param name="positionIndependent">The objects go into a shared library: gcc and clang get <c>-fPIC</c>.</param>
    public static ClCompileItem From(ITaskItem item, string projectDirectory, string objectDirectory, bool msvc = false,
        bool keepProgramDatabase = false,
        bool positionIndependent = false)
    {
        if (msvc) return FromMsvc(item, projectDirectory, objectDirectory, keepProgramDatabase);
        string source = item.GetMetadata("FullPath");
        string compileAs = item.GetMetadata("CompileAs");
        bool isC = CompilesAsC(item);

        var args = new List<string> { "-c" };
        if (positionIndependent) args.Add("-fPIC");
        if (compileAs == "CompileAsC") args.AddRange(["-x", "c"]);
        if (compileAs == "CompileAsCpp") args.AddRange(["-x", "c++"]);

        string standard = isC ? CStandard(item.GetMetadata("LanguageStandard_C")) : CxxStandard(item.GetMetadata("LanguageStandard"));
        if (standard.Length > 0) args.Add("-std=" + standard);
        string optimization = Optimization(item.GetMetadata("Optimization"));
        if (optimization.Length > 0) args.Add(optimization);

        foreach (string d in List(item, "PreprocessorDefinitions")) args.Add("-D" + d);
        foreach (string u in List(item, "UndefinePreprocessorDefinitions")) args.Add("-U" + u);
        foreach (string dir in List(item, "AdditionalIncludeDirectories")) args.Add("-I" + Path.GetFullPath(dir, projectDirectory));
        foreach (string f in List(item, "ForcedIncludeFiles")) args.AddRange(["-include", Path.GetFullPath(f, projectDirectory)]);
        string extra = item.GetMetadata("AdditionalOptions");
        if (!string.IsNullOrWhiteSpace(extra)) args.AddRange(CommandLineText.Split(extra));

        string objectFile = ObjectPath(item, source, projectDirectory, objectDirectory, ".o");
        args.AddRange([source, "-o", objectFile]);
        return new ClCompileItem { Source = source, ObjectFile = objectFile, Arguments = args };
    }

    /// <summary>
    /// The C and the C++ compiler of ZccacheCC and ZccacheCXX (gcc and g++ when empty). cl and clang-cl compile C and C++
    /// alike: naming one names both, unless the other is not its default.
    /// </summary>
    public static (string CC, string CXX) Compilers(string cc, string cxx)
    {
        cc = string.IsNullOrWhiteSpace(cc) ? "gcc" : cc.Trim();
        cxx = string.IsNullOrWhiteSpace(cxx) ? "g++" : cxx.Trim();
        if (ClCommandLine.IsClFamily(cc) && cxx == "g++") return (cc, cc);
        if (ClCommandLine.IsClFamily(cxx) && cc == "gcc") return (cxx, cxx);
        return (cc, cxx);
    }

    /// <summary>True when the item compiles as C (CompileAs, else the source's extension): it goes to the C compiler.</summary>
    public static bool CompilesAsC(ITaskItem item) => item.GetMetadata("CompileAs") switch
    {
        "CompileAsC" => true,
        "CompileAsCpp" => false,
        _ => Path.GetExtension(item.GetMetadata("FullPath")) == ".c",
    };

    /// <summary>
    /// The cl form (cl.exe, clang-cl): metadata mapped as the vcxproj CL task maps it; empty metadata
    /// adds no flag (cl's own default) except ExceptionHandling, which vcxproj defaults to Sync (/EHsc).
    /// </summary>
    private static ClCompileItem FromMsvc(ITaskItem item, string projectDirectory, string objectDirectory, bool keepProgramDatabase)
    {
        string source = item.GetMetadata("FullPath");
        bool isC = CompilesAsC(item);
        var args = new List<string> { "/nologo", "/c" };
        string compileAs = item.GetMetadata("CompileAs");
        if (compileAs == "CompileAsC") args.Add("/TC");
        if (compileAs == "CompileAsCpp") args.Add("/TP");
        string standard = isC ? MsvcCStandard(item.GetMetadata("LanguageStandard_C"))
            : MsvcCxxStandard(item.GetMetadata("LanguageStandard"));
        if (standard.Length > 0) args.Add("/std:" + standard);
        args.AddRange(Msvc(item, "Optimization", "",
            new() { ["Disabled"] = "/Od", ["MinSpace"] = "/O1", ["MaxSpeed"] = "/O2", ["Full"] = "/Ox" }));
        args.AddRange(Msvc(item, "ExceptionHandling", "Sync",
            new() { ["false"] = "", ["Async"] = "/EHa", ["Sync"] = "/EHsc", ["SyncCThrow"] = "/EHs" }));
        args.AddRange(Msvc(item, "RuntimeLibrary", "", new()
        {
            ["MultiThreaded"] = "/MT", ["MultiThreadedDebug"] = "/MTd", ["MultiThreadedDLL"] = "/MD", ["MultiThreadedDebugDLL"] = "/MDd",
        }));
        args.AddRange(Msvc(item, "DebugInformationFormat", "", new()
        {
            // A shared compiler PDB cannot be cached: by default the debug
            // information goes into each object (/Z7) and the link writes the PDB.
            ["None"] = "", ["OldStyle"] = "/Z7", ["ProgramDatabase"] = keepProgramDatabase ? "/Zi"
            : "/Z7", ["EditAndContinue"] = keepProgramDatabase ? "/ZI" : "/Z7",
        }));
        args.AddRange(Msvc(item, "WarningLevel", "", new()
        {
            ["TurnOffAllWarnings"] = "/W0", ["Level1"] = "/W1", ["Level2"] = "/W2", ["Level3"] = "/W3", ["Level4"] = "/W4",
            ["EnableAllWarnings"] = "/Wall",
        }));
        args.AddRange(Msvc(item, "TreatWarningAsError", "", new() { ["true"] = "/WX", ["false"] = "" }));

        foreach (string d in List(item, "PreprocessorDefinitions")) args.Add("/D" + d);
        foreach (string u in List(item, "UndefinePreprocessorDefinitions")) args.Add("/U" + u);
        foreach (string dir in List(item, "AdditionalIncludeDirectories")) args.Add("/I" + Path.GetFullPath(dir, projectDirectory));
        foreach (string f in List(item, "ForcedIncludeFiles")) args.Add("/FI" + Path.GetFullPath(f, projectDirectory));
        args.AddRange(WindowsCommandLine.Split(item.GetMetadata("AdditionalOptions"))
            .Where(a => !a.StartsWith("%(", StringComparison.Ordinal)));

        string objectFile = ObjectPath(item, source, projectDirectory, objectDirectory, ".obj");
        args.Add("/Fo" + objectFile);
        // A Unix path (/Users/a.c) could read as an option (/U): "--" ends the options for clang-cl.
        if (!OperatingSystem.IsWindows()) args.Add("--");
        args.Add(source);
        return new ClCompileItem { Source = source, ObjectFile = objectFile, Arguments = args };
    }

    /// <summary>A vcxproj enumeration to its cl flag; empty metadata is
    /// <paramref name="fallback"/>; a cl flag itself (<c>/O2</c>) is taken as written.</summary>
    private static IEnumerable<string> Msvc(ITaskItem item, string name, string fallback, Dictionary<string, string> flags)
    {
        string value = item.GetMetadata(name).Trim();
        if (value.Length == 0) value = fallback;
        if (value.Length == 0) return [];
        if (flags.TryGetValue(value, out string? flag)) return flag.Length == 0 ? [] : [flag];
        if (value.StartsWith('/') || value.StartsWith('-')) return [value];
        throw new FormatException($"{name} '{value}' is not one of {string.Join(", ", flags.Keys)}, or a cl flag");
    }

    private static string MsvcCxxStandard(string value) => value switch
    {
        "" or "Default" => "",
        "stdcpp14" => "c++14",
        "stdcpp17" => "c++17",
        "stdcpp20" => "c++20",
        "stdcpp23" or "stdcpplatest" => "c++latest",
        _ when value.StartsWith("c++", StringComparison.Ordinal) => value,
        _ => throw new FormatException($"LanguageStandard '{value}' is not one of stdcpp14, stdcpp17, stdcpp20, stdcpp23, stdcpplatest, "
            + "or a /std: value such as c++17"),
    };

    private static string MsvcCStandard(string value) => value switch
    {
        "" or "Default" => "",
        "stdc11" => "c11",
        "stdc17" => "c17",
        "stdclatest" => "clatest",
        _ when value.StartsWith('c') => value,
        _ => throw new FormatException(
            $"LanguageStandard_C '{value}' is not one of stdc11, stdc17, stdclatest, or a /std: value such as c11"),
    };

    internal static IEnumerable<string> List(ITaskItem item, string name) =>
        item.GetMetadata(name).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(v => !v.StartsWith("%(", StringComparison.Ordinal)); // vcxproj habit: "FOO;%(PreprocessorDefinitions)"

    /// <summary>
    /// ObjectFileName when set (a folder if it ends with a separator), else one object per source
    /// under the object folder, mirroring the source's folder so same-named sources never collide.
    /// The source's extension is kept (<c>a.c.o</c>, <c>a.cpp.obj</c>) for the same reason.
    /// </summary>
    private static string ObjectPath(ITaskItem item, string source, string projectDirectory, string objectDirectory, string extension)
    {
        string name = Path.GetFileName(source) + extension;
        string configured = item.GetMetadata("ObjectFileName");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            string full = Path.GetFullPath(configured, projectDirectory);
            return configured.EndsWith('/') || configured.EndsWith('\\') ? Path.Join(full, name) : full;
        }
        string sourceDir = Path.GetDirectoryName(source)!;
        string relative = Path.GetRelativePath(projectDirectory, sourceDir);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            relative = Path.Join("_external", Core.Hashing.Hex.Lower(Core.Hashing.Sha256.Hash(Encoding.UTF8.GetBytes(sourceDir)))[..12]);
        return Path.GetFullPath(Path.Join(objectDirectory, relative, name));
    }

    private static string CxxStandard(string value) => value switch
    {
        "" or "Default" => "",
        "stdcpp11" => "c++11",
        "stdcpp14" => "c++14",
        "stdcpp17" => "c++17",
        "stdcpp20" => "c++20",
        "stdcpp23" or "stdcpplatest" => "c++2b",
        _ when value.StartsWith("c++", StringComparison.Ordinal) || value.StartsWith("gnu++", StringComparison.Ordinal) => value,
        _ => throw new FormatException($"LanguageStandard '{value}' is not one of stdcpp11, stdcpp14, stdcpp17, stdcpp20, stdcpp23, "
            + "stdcpplatest, or a gcc -std value such as c++17"),
    };

    private static string CStandard(string value) => value switch
    {
        "" or "Default" => "",
        "stdc11" => "c11",
        "stdc17" => "c17",
        "stdc23" or "stdclatest" => "c2x",
        _ when value.StartsWith('c') || value.StartsWith("gnu", StringComparison.Ordinal)
        || value.StartsWith("iso9899", StringComparison.Ordinal) => value,
        _ => throw new FormatException(
            $"LanguageStandard_C '{value}' is not one of stdc11, stdc17, stdclatest, or a gcc -std value such as c99"),
    };

    private static string Optimization(string value) => value switch
    {
        "" => "",
        "Disabled" => "-O0",
        "MinSpace" => "-Os",
        "MaxSpeed" => "-O2",
        "Full" => "-O3",
        _ when value.StartsWith("-O", StringComparison.Ordinal) => value,
        _ when value.StartsWith('O') => "-" + value,
        _ => throw new FormatException(
            $"Optimization '{value}' is not one of Disabled, MinSpace, MaxSpeed, Full, or a gcc level such as O2"),
    };
}
