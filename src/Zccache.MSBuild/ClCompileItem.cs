using System.Security.Cryptography;
using System.Text;
using Microsoft.Build.Framework;
using Zccache.Core.Compilers;

namespace Zccache.MSBuild;

/// <summary>
/// Turns a <c>ClCompile</c> item and its vcxproj-style metadata into a gcc/clang command line.
/// Pure mapping: the cache itself never sees MSBuild.
/// </summary>
public sealed class ClCompileItem
{
    public required string Source { get; init; }
    public required string ObjectFile { get; init; }
    public required bool IsC { get; init; }
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Maps <paramref name="item"/>; throws <see cref="FormatException"/> for metadata that cannot be read.</summary>
    public static ClCompileItem From(ITaskItem item, string projectDirectory, string objectDirectory)
    {
        string source = item.GetMetadata("FullPath");
        string compileAs = item.GetMetadata("CompileAs");
        bool isC = compileAs switch
        {
            "CompileAsC" => true,
            "CompileAsCpp" => false,
            _ => Path.GetExtension(source) == ".c",
        };

        var args = new List<string> { "-c" };
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

        string objectFile = ObjectPath(item, source, projectDirectory, objectDirectory);
        args.AddRange([source, "-o", objectFile]);
        return new ClCompileItem { Source = source, ObjectFile = objectFile, IsC = isC, Arguments = args };
    }

    private static IEnumerable<string> List(ITaskItem item, string name) =>
        item.GetMetadata(name).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(v => !v.StartsWith("%(", StringComparison.Ordinal)); // vcxproj habit: "FOO;%(PreprocessorDefinitions)"

    /// <summary>
    /// ObjectFileName when set (a folder if it ends with a separator), else one object per source
    /// under the object folder, mirroring the source's folder so same-named sources never collide.
    /// The source's extension is kept (<c>a.c.o</c>, <c>a.cpp.o</c>) for the same reason.
    /// </summary>
    private static string ObjectPath(ITaskItem item, string source, string projectDirectory, string objectDirectory)
    {
        string name = Path.GetFileName(source) + ".o";
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
        _ when value.StartsWith("c++") || value.StartsWith("gnu++") => value,
        _ => throw new FormatException($"LanguageStandard '{value}' is not one of stdcpp11, stdcpp14, stdcpp17, stdcpp20, stdcpp23, stdcpplatest, or a gcc -std value such as c++17"),
    };

    private static string CStandard(string value) => value switch
    {
        "" or "Default" => "",
        "stdc11" => "c11",
        "stdc17" => "c17",
        "stdc23" or "stdclatest" => "c2x",
        _ when value.StartsWith('c') || value.StartsWith("gnu") || value.StartsWith("iso9899") => value,
        _ => throw new FormatException($"LanguageStandard_C '{value}' is not one of stdc11, stdc17, stdclatest, or a gcc -std value such as c99"),
    };

    private static string Optimization(string value) => value switch
    {
        "" => "",
        "Disabled" => "-O0",
        "MinSpace" => "-Os",
        "MaxSpeed" => "-O2",
        "Full" => "-O3",
        _ when value.StartsWith("-O") => value,
        _ when value.StartsWith('O') => "-" + value,
        _ => throw new FormatException($"Optimization '{value}' is not one of Disabled, MinSpace, MaxSpeed, Full, or a gcc level such as O2"),
    };
}
