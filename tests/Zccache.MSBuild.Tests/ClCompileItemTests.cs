using Microsoft.Build.Utilities;

namespace Zccache.MSBuild.Tests;

/// <summary>Every ClCompile metadata <see cref="ClCompileItem"/> maps, to gcc/clang arguments and to cl's.</summary>
public sealed class ClCompileItemTests
{
    private const string Project = "/p";
    private const string Objects = "/p/obj/zccache";

    private static TaskItem Item(string source, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(source);
        foreach (var (name, value) in metadata) item.SetMetadata(name, value);
        return item;
    }

    private static IReadOnlyList<string> Gcc(string source, params (string, string)[] metadata) =>
        ClCompileItem.From(Item(source, metadata), Project, Objects).Arguments;

    private static IReadOnlyList<string> Cl(string source, params (string, string)[] metadata) =>
        ClCompileItem.From(Item(source, metadata), Project, Objects, msvc: true).Arguments;

    [Fact]
    public void Every_metadata_maps_to_its_gcc_argument_in_order()
    {
        var item = ClCompileItem.From(Item("/p/src/a.cpp",
            ("CompileAs", "CompileAsCpp"), ("LanguageStandard", "stdcpp17"), ("Optimization", "MaxSpeed"),
            ("PreprocessorDefinitions", "A=1; B ;%(PreprocessorDefinitions)"), ("UndefinePreprocessorDefinitions", "C"),
            ("AdditionalIncludeDirectories", "inc;/abs/inc"), ("ForcedIncludeFiles", "pch.h"),
            ("AdditionalOptions", "-Wall \"-DQ=a b\"")), Project, Objects, positionIndependent: true);
        Assert.Equal(["-c", "-fPIC", "-x", "c++", "-std=c++17", "-O2", "-DA=1", "-DB", "-UC", "-I/p/inc", "-I/abs/inc",
            "-include", "/p/pch.h", "-Wall", "-DQ=a b", "/p/src/a.cpp", "-o", "/p/obj/zccache/src/a.cpp.o"], item.Arguments);
        Assert.Equal(("/p/src/a.cpp", "/p/obj/zccache/src/a.cpp.o"), (item.Source, item.ObjectFile));
    }

    [Fact]
    public void An_item_without_metadata_is_compiled_as_its_extension_says()
    {
        Assert.Equal(["-c", "/p/a.c", "-o", "/p/obj/zccache/a.c.o"], Gcc("/p/a.c"));
        Assert.True(ClCompileItem.CompilesAsC(Item("/p/a.c")));
        Assert.False(ClCompileItem.CompilesAsC(Item("/p/a.cpp")));
        Assert.True(ClCompileItem.CompilesAsC(Item("/p/a.cpp", ("CompileAs", "CompileAsC"))));
        Assert.False(ClCompileItem.CompilesAsC(Item("/p/a.c", ("CompileAs", "CompileAsCpp"))));
        Assert.Equal(["-c", "-x", "c", "/p/a.cpp", "-o", "/p/obj/zccache/a.cpp.o"], Gcc("/p/a.cpp", ("CompileAs", "CompileAsC")));
    }

    [Theory]
    [InlineData("stdcpp11", "-std=c++11")]
    [InlineData("stdcpp14", "-std=c++14")]
    [InlineData("stdcpp20", "-std=c++20")]
    [InlineData("stdcpp23", "-std=c++2b")]
    [InlineData("stdcpplatest", "-std=c++2b")]
    [InlineData("gnu++17", "-std=gnu++17")]
    [InlineData("Default", null)]
    public void The_cxx_standard_maps_to_std(string value, string? flag) =>
        Assert.Equal(flag, Gcc("/p/a.cpp", ("LanguageStandard", value)).SingleOrDefault(a => a.StartsWith("-std=")));

    [Theory]
    [InlineData("stdc11", "-std=c11")]
    [InlineData("stdc17", "-std=c17")]
    [InlineData("stdc23", "-std=c2x")]
    [InlineData("stdclatest", "-std=c2x")]
    [InlineData("gnu99", "-std=gnu99")]
    [InlineData("iso9899:1999", "-std=iso9899:1999")]
    public void The_c_standard_maps_to_std_and_the_cxx_one_is_not_read_for_c(string value, string flag) =>
        Assert.Equal(flag,
            Gcc("/p/a.c", ("LanguageStandard_C", value), ("LanguageStandard", "stdcpp20")).Single(a => a.StartsWith("-std=")));

    [Theory]
    [InlineData("Disabled", "-O0")]
    [InlineData("MinSpace", "-Os")]
    [InlineData("MaxSpeed", "-O2")]
    [InlineData("Full", "-O3")]
    [InlineData("-Og", "-Og")]
    [InlineData("O1", "-O1")]
    public void Optimization_maps_to_a_gcc_level(string value, string flag) =>
        Assert.Equal(["-c", flag, "/p/a.c", "-o", "/p/obj/zccache/a.c.o"], Gcc("/p/a.c", ("Optimization", value)));

    [Theory]
    [InlineData("Optimization", "Fast")]
    [InlineData("LanguageStandard", "cpp17")]
    public void Metadata_that_cannot_be_read_is_a_format_error(string name, string value)
    {
        var e = Assert.Throws<FormatException>(() => Gcc("/p/a.cpp", (name, value)));
        Assert.StartsWith($"{name} '{value}' is not one of", e.Message);
    }

    [Fact]
    public void The_object_goes_where_ObjectFileName_says_or_under_the_object_folder()
    {
        Assert.Equal("/p/out/x.o", ClCompileItem.From(Item("/p/src/a.c", ("ObjectFileName", "out/x.o")), Project, Objects).ObjectFile);
        Assert.Equal("/p/out/a.c.o", ClCompileItem.From(Item("/p/src/a.c", ("ObjectFileName", "out/")), Project, Objects).ObjectFile);
        // Outside the project: a folder named after a digest of the source's folder, so same-named sources never collide.
        string external = ClCompileItem.From(Item("/elsewhere/a.c"), Project, Objects).ObjectFile;
        Assert.Matches("^/p/obj/zccache/_external/[0-9a-f]{12}/a\\.c\\.o$", external);
        Assert.NotEqual(external, ClCompileItem.From(Item("/other/a.c"), Project, Objects).ObjectFile);
    }

    [Fact]
    public void Every_metadata_maps_to_its_cl_argument_in_order()
    {
        var args = Cl("/p/src/a.cpp",
            ("CompileAs", "CompileAsCpp"), ("LanguageStandard", "stdcpp20"), ("Optimization", "MinSpace"), ("ExceptionHandling", "Async"),
            ("RuntimeLibrary", "MultiThreadedDebugDLL"), ("DebugInformationFormat", "ProgramDatabase"), ("WarningLevel", "Level4"),
            ("TreatWarningAsError", "true"), ("PreprocessorDefinitions", "A;%(PreprocessorDefinitions)"),
            ("UndefinePreprocessorDefinitions", "B"),
            ("AdditionalIncludeDirectories", "inc"), ("ForcedIncludeFiles", "pch.h"),
            ("AdditionalOptions", "/bigobj %(AdditionalOptions)"));
        Assert.Equal(["/nologo", "/c", "/TP", "/std:c++20", "/O1", "/EHa", "/MDd", "/Z7", "/W4", "/WX", "/DA", "/UB", "/I/p/inc",
            "/FI/p/pch.h", "/bigobj", "/Fo/p/obj/zccache/src/a.cpp.obj", "--", "/p/src/a.cpp"], args);
    }

    [Fact]
    public void Cl_without_metadata_gets_only_the_vcxproj_default_exception_handling() =>
        Assert.Equal(["/nologo", "/c", "/EHsc", "/Fo/p/obj/zccache/a.c.obj", "--", "/p/a.c"], Cl("/p/a.c"));

    [Theory]
    [InlineData("ProgramDatabase", false, "/Z7")]
    [InlineData("EditAndContinue", false, "/Z7")]
    [InlineData("ProgramDatabase", true, "/Zi")]
    [InlineData("EditAndContinue", true, "/ZI")]
    [InlineData("OldStyle", true, "/Z7")]
    [InlineData("None", false, null)]
    public void A_shared_compiler_PDB_is_kept_only_when_asked(string format, bool keep, string? flag) =>
        Assert.Equal(flag,
            ClCompileItem.From(Item("/p/a.c", ("DebugInformationFormat", format)), Project, Objects, msvc: true, keepProgramDatabase: keep)
            .Arguments.SingleOrDefault(a => a.StartsWith("/Z")));

    [Theory]
    [InlineData("ExceptionHandling", "false", null)]
    [InlineData("ExceptionHandling", "SyncCThrow", "/EHs")]
    [InlineData("Optimization", "/O2", "/O2")] // a cl flag as written
    [InlineData("Optimization", "Full", "/Ox")]
    [InlineData("Optimization", "Disabled", "/Od")]
    [InlineData("RuntimeLibrary", "MultiThreaded", "/MT")]
    [InlineData("WarningLevel", "TurnOffAllWarnings", "/W0")]
    [InlineData("WarningLevel", "EnableAllWarnings", "/Wall")]
    [InlineData("TreatWarningAsError", "false", null)]
    [InlineData("LanguageStandard", "stdcpplatest", "/std:c++latest")]
    [InlineData("LanguageStandard", "c++17", "/std:c++17")]
    public void Cl_enumerations_map_as_the_vcxproj_CL_task_maps_them(string name, string value, string? flag)
    {
        var args = Cl("/p/a.cpp", (name, value), ("ExceptionHandling", name == "ExceptionHandling" ? value : "false"));
        Assert.Equal(flag is null ? ["/nologo", "/c"] : ["/nologo", "/c", flag], args.Take(args.Count - 3));
    }

    [Theory]
    [InlineData("stdc11", "/std:c11")]
    [InlineData("stdc17", "/std:c17")]
    [InlineData("stdclatest", "/std:clatest")]
    public void Cl_c_standards_map_to_std(string value, string flag) =>
        Assert.Equal(flag, Cl("/p/a.c", ("LanguageStandard_C", value)).Single(a => a.StartsWith("/std:")));

    [Fact]
    public void A_cl_enumeration_value_it_does_not_know_is_a_format_error()
    {
        var e = Assert.Throws<FormatException>(() => Cl("/p/a.c", ("RuntimeLibrary", "Static")));
        Assert.Equal("RuntimeLibrary 'Static' is not one of MultiThreaded, MultiThreadedDebug, MultiThreadedDLL, MultiThreadedDebugDLL, "
            + "or a cl flag", e.Message);
    }
}
