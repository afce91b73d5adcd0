using Zccache.Core.Compilers;
using Zccache.Core.Paths;

namespace Zccache.Core.Tests;

/// <summary>The cl/clang-cl reader, with Windows-style paths (its Windows rules run on any host).</summary>
public class ClCommandLineTests
{
    private const string Cwd = @"C:\work\proj";

    private static (CacheableCompile? Compile, NonCacheable? Why) Parse(string compiler, IReadOnlyDictionary<string, string>? env,
        params string[] args) =>
        ClCommandLine.Parse(new CompileInvocation
        { Compiler = compiler, Arguments = args, WorkingDirectory = Cwd, Environment = env ?? new Dictionary<string, string>() });

    private static CacheableCompile Ok(params string[] args) => OkWith("cl", args);

    private static CacheableCompile OkWith(string compiler, params string[] args)
    {
        var (compile, why) = Parse(compiler, null, args);
        Assert.True(compile is not null, why?.ToString());
        return compile!;
    }

    private static string Key(CacheableCompile c) => Contexts.ContextKey.Compute(c.Context, "", c.KeyExtras).Hex;

    [Theory]
    [InlineData("cl", true)]
    [InlineData("cl.exe", true)]
    [InlineData("CL.EXE", true)]
    [InlineData(@"C:\Program Files\Microsoft Visual Studio\2022\VC\Tools\MSVC\14.38\bin\Hostx64\x64\cl.exe", true)]
    [InlineData("/usr/bin/clang-cl", true)]
    [InlineData("clang-cl-14", true)]
    [InlineData(@"C:\LLVM\bin\clang-cl.exe", true)]
    [InlineData("clang", false)]
    [InlineData("clang-cl-x", false)]
    [InlineData("gcc", false)]
    [InlineData(@"C:\tools\cl-wrapper.exe", false)]
    public void The_family_is_recognised_by_name(string compiler, bool cl) => Assert.Equal(cl, ClCommandLine.IsClFamily(compiler));

    [Theory]
    [InlineData(NonCacheableReason.Linking, "a.c")]
    [InlineData(NonCacheableReason.PreprocessOnly, "/c", "/E", "a.c")]
    [InlineData(NonCacheableReason.PreprocessOnly, "/c", "/P", "a.c")]
    [InlineData(NonCacheableReason.PreprocessOnly, "-c", "-EP", "a.c")]
    [InlineData(NonCacheableReason.ProgramDatabase, "/c", "/Zi", "a.c")]
    [InlineData(NonCacheableReason.ProgramDatabase, "/c", "-ZI", "a.c")]
    [InlineData(NonCacheableReason.PrecompiledHeader, "/c", "/Ycpch.h", "a.c")]
    [InlineData(NonCacheableReason.PrecompiledHeader, "/c", "/Yu", "a.c")]
    [InlineData(NonCacheableReason.MultipleSources, "/c", "/MP", "a.c", "b.c")]
    [InlineData(NonCacheableReason.NoSource, "/c", "/O2")]
    [InlineData(NonCacheableReason.NotASource, "/c", "a.obj")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/FAs")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/Fa")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/Fea.exe")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/Gm")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/analyze")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/showIncludes:user")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/sourceDependencies", "a.json")]
    [InlineData(NonCacheableReason.UnsupportedOption, "/c", "a.c", "/D")]
    [InlineData(NonCacheableReason.BadResponseFile, "/c", "@missing.rsp")]
    public void Non_cacheable_calls_say_why(NonCacheableReason reason, params string[] args)
    {
        var (compile, why) = Parse("cl", null, args);
        Assert.Null(compile);
        Assert.Equal(reason, why!.Reason);
    }

    [Fact]
    public void Options_are_case_sensitive_as_cl_reads_them()
    {
        // /C keeps comments (a flag), /c compiles; /fo is not /Fo.
        Assert.Equal(NonCacheableReason.Linking, Parse("cl", null, "/C", "a.c").Why!.Reason);
        var c = Ok("/c", "a.c", "/foo.obj");
        Assert.Equal(@"C:\work\proj\a.obj", c.Outputs[0].Path);
        Assert.Contains("/foo.obj", c.Context.Flags.Concat(c.Context.UnknownFlags));
    }

    [Theory]
    [InlineData(@"C:\work\proj\a.obj", "/c", "a.cpp")]
    [InlineData(@"C:\work\proj\a.obj", "-c", "-Tpa.cpp")]
    [InlineData(@"C:\work\proj\out\x.obj", "/c", "a.cpp", "/Foout\\x.obj")]
    [InlineData(@"C:\work\proj\out\x.obj", "/c", "a.cpp", "-Foout/x.obj")]
    [InlineData(@"C:\work\proj\out\x.obj", "/c", "a.cpp", "/Fo:out\\x.obj")]
    [InlineData(@"C:\work\proj\out\x.obj", "/c", "a.cpp", "/Fo:", "out\\x.obj")]
    [InlineData(@"C:\work\proj\out\x.obj", "/c", "a.cpp", "/Foout\\x")]
    [InlineData(@"C:\work\proj\obj\Debug\a.obj", "/c", "src\\a.cpp", "/Foobj\\Debug\\")]
    [InlineData(@"C:\work\proj\obj\a.obj", "/c", @"C:\work\proj\src\a.cpp", "/Foobj/")]
    [InlineData(@"D:\out\A.obj", "/c", @"..\src\A.CPP", @"/FoD:\out\")]
    [InlineData(@"C:\out\a.obj", "/c", "a.cpp", @"/Fo\out\a.obj")]
    [InlineData(@"C:\work\a.obj", "/c", "a.cpp", @"/Fo..\.\a.obj")]
    [InlineData(@"\\server\share\o\a.obj", "/c", "a.cpp", @"/Fo\\server\share\o\")]
    [InlineData(@"C:\work\proj\a.obj", "/c", "a.cpp", "/Fofirst.obj", "/Foa.obj")]
    public void The_object_is_where_cl_writes_it(string expected, params string[] args) =>
        Assert.Equal(expected, Ok(args).Outputs.Single().Path);

    [Fact]
    public void Clang_cl_reads_fo_colon_otherwise_so_it_is_not_cached() =>
        Assert.Equal(NonCacheableReason.UnsupportedOption, Parse("clang-cl", null, "/c", "a.c", "/Fo:a.obj").Why!.Reason);

    [Fact]
    public void Clang_cl_treats_zi_as_z7()
    {
        var c = OkWith("clang-cl", "/c", "/Zi", "a.c");
        Assert.Contains("/Zi", c.Context.Flags);
    }

    [Fact]
    public void Value_options_are_read_attached_and_separate_with_either_prefix()
    {
        var c = Ok("/c", "/DA=1", "-D", "B", "/DC#2", "/UX", "-U", "Y", "/Iinc", "-I", @"C:\sdk\include", "/external:I", "ext", "/FIpre.h",
            "-FI", "pre2.h", "a.c");
        Assert.Equal(["A=1", "B", "C=2"], c.Context.Defines);
        Assert.Equal(["X", "Y"], c.Context.Undefines);
        Assert.Equal([@"C:\work\proj\inc", @"C:\sdk\include"],
            c.Context.IncludeSearch.User.Select(p => p.Value.Replace('/', '\\')).Select(v => v[v.IndexOf("C:")..]));
        Assert.Equal(2, c.Context.ForceIncludes.Count);
        Assert.Single(c.Context.IncludeSearch.System);
    }

    [Fact]
    public void Flags_that_change_the_object_change_the_key()
    {
        string baseKey = Key(Ok("/c", "a.cpp", "/O2"));
        Assert.Equal(baseKey, Key(Ok("/c", "a.cpp", "/O2")));
        foreach (string[] other in new[] { ["/c", "a.cpp", "/Od"], ["/c", "a.cpp", "/O2", "/EHsc"], ["/c", "a.cpp", "/O2", "/MT"],
                     ["/c", "a.cpp", "/O2", "/std:c++17"], ["/c", "a.cpp", "/O2", "/W4"], ["/c", "a.cpp", "/O2", "/WX"],
                     ["/c", "a.cpp", "/O2", "/TC"],
                     ["/c", "a.cpp", "/O2", "/Z7"], ["/c", "a.cpp", "/O2", "/DX"], ["/c", "a.cpp", "/O2", "/Fob.obj"],
                     ["/c", "a.cpp", "/O2", "/showIncludes"],
                     ["/c", "a.cpp", "/O2", "/unknown-flag"], new[] { "/c", "a.cpp", "/O2", "/link", "/DEBUG" } })
            Assert.NotEqual(baseKey, Key(Ok(other)));
    }

    [Fact]
    public void Cl_and_cl_underscore_variables_are_read_before_and_after_the_arguments()
    {
        var env = new Dictionary<string, string> { ["CL"] = "/DFROM_CL /c", ["_CL_"] = "/Foafter.obj" };
        var (c, _) = Parse("cl", env, "a.c", "/Fobefore.obj");
        Assert.Equal(["FROM_CL"], c!.Context.Defines);
        Assert.Equal(@"C:\work\proj\after.obj", c.Outputs[0].Path);
        // The compiler reads them itself: the arguments run are the user's.
        Assert.Equal(["a.c", "/Fobefore.obj"], c.Arguments);
    }

    [Fact]
    public void Include_and_external_include_enter_the_key_and_the_search_order()
    {
        var one = Parse("cl", new Dictionary<string, string> { ["INCLUDE"] = @"C:\VC\include;C:\SDK\ucrt" }, "/c", "a.c").Compile!;
        var two = Parse("cl", new Dictionary<string, string> { ["INCLUDE"] = @"C:\VC\include;C:\SDK\ucrt2" }, "/c", "a.c").Compile!;
        var ext = Parse("cl",
            new Dictionary<string, string> { ["INCLUDE"] = @"C:\VC\include;C:\SDK\ucrt", ["EXTERNAL_INCLUDE"] = @"C:\ext" }, "/c", "a.c")
                .Compile!;
        Assert.Equal(2, one.Context.IncludeSearch.After.Count);
        Assert.Equal(3, ext.Context.IncludeSearch.After.Count);
        Assert.NotEqual(Key(one), Key(two));
        Assert.NotEqual(Key(one), Key(ext));
        // /X: the standard places are not searched.
        Assert.Empty(Parse("cl", new Dictionary<string, string> { ["INCLUDE"] = @"C:\VC\include" }, "/c", "/X", "a.c")
            .Compile!.Context.IncludeSearch.After);
    }

    [Fact]
    public void Response_files_are_read_with_windows_quoting_in_utf16_or_utf8()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["a.rsp"], "/c \"/DMSG=\\\"hi there\\\"\" /I\"C:\\Program Files\\x\\\\\" @b.rsp\r\n",
            System.Text.Encoding.Unicode);
        File.WriteAllText(dir["b.rsp"], "a.c /Foa.obj");
        var (c, why) = ClCommandLine.Parse(new CompileInvocation
        {
            Compiler = "cl.exe", Arguments = ["@a.rsp"],
            WorkingDirectory = dir.Path
        });
        Assert.True(c is not null, why?.ToString());
        Assert.Equal(["MSG=\"hi there\""], c!.Context.Defines);
        Assert.EndsWith(@"C:\Program Files\x", c.Context.IncludeSearch.User.Single().Value);
        Assert.Equal(dir["a.obj"], c.Outputs[0].Path);
        Assert.Equal(["@a.rsp", "/showIncludes"], [.. c.Arguments, .. c.DependencyArguments("")]);
    }

    [Theory]
    [InlineData("a b", "a", "b")]
    [InlineData("\"a b\" c", "a b", "c")]
    [InlineData(@"C:\dir\ x", @"C:\dir\", "x")]
    [InlineData(@"""C:\dir\\"" x", @"C:\dir\", "x")]
    [InlineData(@"a\""b", "a\"b")]
    [InlineData(@"""a """" b""", "a \" b")]
    [InlineData("  \t\r\n  ")]
    public void Windows_command_lines_split_as_CommandLineToArgvW(string text, params string[] expected) =>
        Assert.Equal(expected, WindowsCommandLine.Split(text));

    [Theory]
    [InlineData("a.c", @"C:\w", @"C:\w\a.c")]
    [InlineData(@"..\a.c", @"C:\w\x", @"C:\w\a.c")]
    [InlineData(@"D:/x/./y/../a.c", @"C:\w", @"D:\x\a.c")]
    [InlineData(@"\a.c", @"C:\w", @"C:\a.c")]
    [InlineData(@"C:a.c", @"C:\w", @"C:\a.c")]
    [InlineData(@"a.c", @"\\srv\share\d", @"\\srv\share\d\a.c")]
    [InlineData(@"..\..\..\a.c", @"\\srv\share\d", @"\\srv\share\a.c")]
    public void Windows_paths_fold_lexically(string path, string cwd, string expected) =>
        Assert.Equal(expected, WindowsPath.Full(path, cwd));

    [Fact]
    public void Windows_names_compare_ignoring_case()
    {
        Assert.True(WindowsPath.Comparer.Equals(@"C:\Src\A.CPP", @"c:\src\a.cpp"));
        Assert.Equal(".CPP", WindowsPath.Extension(@"C:\x.y\A.CPP"));
        Assert.Equal("", WindowsPath.Extension(@"C:\x.y\noext"));
        Assert.True(Ok("/c", @"C:\Src\A.CPP").Outputs[0].Path == @"C:\work\proj\A.obj");
    }

    [Fact]
    public void Linux_absolute_paths_are_sources_not_options()
    {
        using var dir = new TempDir();
        string source = dir.Write("src/a.c", "int x;\n");
        var (c, why) = ClCommandLine.Parse(new CompileInvocation
        { Compiler = "clang-cl", Arguments = ["/c", source, "/Fo" + dir["a.obj"]], WorkingDirectory = dir.Path });
        Assert.True(c is not null, why?.ToString());
        Assert.Equal(source, c!.Context.SourceFile.Value);
        Assert.Equal(dir["a.obj"], c.Outputs[0].Path);
    }

    [Fact]
    public void Include_notes_are_split_from_the_output()
    {
        byte[] stdout = "a.c\r\nNote: including file: C:\\x\\a.h\r\nNote: including file:  C:\\x\\b h.h\r\nwarning line\r\n"u8.ToArray();
        var (files, rest) = IncludeNotes.Split(stdout);
        Assert.Equal([@"C:\x\a.h", @"C:\x\b h.h"], files);
        Assert.Equal("a.c\r\nwarning line\r\n", System.Text.Encoding.UTF8.GetString(rest));
        Assert.Same(stdout, IncludeNotes.Split(stdout.Take(5).ToArray()) is var (none, same) && none.Count == 0 ? stdout : null);
    }
}
