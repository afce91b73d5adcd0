using Zccache.Core.Compilers;
using Zccache.Core.Linking;

namespace Zccache.Core.Tests;

/// <summary>
/// Links the cache does not serve (ar, link.exe, lld-link): run again exactly when something they depend on changed.
/// The tool here is a script that writes its inputs (options aside) into its output and counts its runs.
/// </summary>
public class UncachedLinkTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Tool(string body = "")
    {
        string tool = _dir.Write("bin/tool", $"#!/bin/sh\necho run >> {_dir["runs"]}\nout=$1; shift\n"
            + $"for f; do case $f in -*) ;; *) cat \"$f\";; esac; done > \"$out\"\n{body}");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return tool;
    }

    /// <summary>An input written a minute ago: settled, so a link that read it can be recorded.</summary>
    private void Input(string name, string text) =>
        File.SetLastWriteTimeUtc(_dir.Write(name, text), DateTime.UtcNow.AddMinutes(-1));

    private int Runs => File.Exists(_dir["runs"]) ? File.ReadAllLines(_dir["runs"]).Length : 0;

    private UncachedLink Link(string tool, params string[] extra) => new()
    {
        Tool = tool, Arguments = [_dir["out/lib"], _dir["a.o"], _dir["b.o"], .. extra], WorkingDirectory = _dir.Path,
        Output = _dir["out/lib"], Inputs = [_dir["a.o"], _dir["b.o"]], Variables = ["ZC_TEST_UNCACHED_LINK"],
        Companions = [_dir["out/lib.pdb"], _dir["out/lib.exp"]],
    };

    /// <summary>Runs the link; true when the tool ran (and succeeded), false when it was up to date.</summary>
    private static bool Ran(UncachedLink link)
    {
        var run = link.Run();
        Assert.True(run is null || run.ExitCode == 0, run is null ? "" : Core.Compilers.CompilerProcess.Text(run.Stderr));
        return run is not null;
    }

    [Fact]
    public void It_runs_again_exactly_when_the_tool_an_argument_a_variable_an_input_or_the_output_changed()
    {
        Input("a.o", "A");
        Input("b.o", "B");
        Directory.CreateDirectory(_dir["out"]);
        string tool = Tool();
        Assert.True(Ran(Link(tool)));
        Assert.Equal("AB", File.ReadAllText(_dir["out/lib"]));
        Assert.False(Ran(Link(tool)));
        Assert.Equal(1, Runs);

        Assert.True(Ran(Link(tool, "-x")));    // another argument
        Assert.False(Ran(Link(tool, "-x")));

        Input("a.o", "a");                   // an edited input
        Assert.True(Ran(Link(tool, "-x")));
        Assert.Equal("aB", File.ReadAllText(_dir["out/lib"]));
        File.SetLastWriteTimeUtc(_dir["b.o"], DateTime.UtcNow.AddMinutes(-5)); // touched, same bytes
        Assert.True(Ran(Link(tool, "-x")));
        Assert.False(Ran(Link(tool, "-x")));

        File.AppendAllText(_dir["out/lib"], "!"); // the output changed by hand
        Assert.True(Ran(Link(tool, "-x")));
        Assert.Equal("aB", File.ReadAllText(_dir["out/lib"]));
        File.Delete(_dir["out/lib"]);
        Assert.True(Ran(Link(tool, "-x")));

        Environment.SetEnvironmentVariable("ZC_TEST_UNCACHED_LINK", "1"); // a variable the tool reads
        try { Assert.True(Ran(Link(tool, "-x"))); }
        finally { Environment.SetEnvironmentVariable("ZC_TEST_UNCACHED_LINK", null); }
        Assert.True(Ran(Link(tool, "-x")));

        Tool("# another version\n");             // the tool itself changed
        Assert.True(Ran(Link(tool, "-x")));
        Assert.False(Ran(Link(tool, "-x")));
        Assert.Equal(9, Runs);

        // An input written within the racy window is not trusted by its stamp: linked, not recorded, linked again.
        _dir.Write("b.o", "b");
        Assert.True(Ran(Link(tool, "-x")));
        Assert.True(Ran(Link(tool, "-x")));
        File.SetLastWriteTimeUtc(_dir["b.o"], DateTime.UtcNow.AddMinutes(-1));
        Assert.True(Ran(Link(tool, "-x")));
        Assert.False(Ran(Link(tool, "-x")));

        // What cannot be tracked (a response file, a library found elsewhere) links every time.
        var untracked = new UncachedLink
        {
            Tool = tool, Arguments = [_dir["out/lib"], _dir["a.o"]], WorkingDirectory = _dir.Path, Output = _dir["out/lib"],
            Inputs = [_dir["a.o"]], Untracked = "a response file",
        };
        Assert.True(Ran(untracked));
        Assert.True(Ran(untracked));
        Assert.False(File.Exists(untracked.RecordFile));
    }

    [Fact]
    public void A_companion_the_tool_wrote_deleted_or_one_it_did_not_write_appearing_runs_it_again()
    {
        Input("a.o", "A");
        Input("b.o", "B");
        Directory.CreateDirectory(_dir["out"]);
        string tool = Tool($"echo debug > {_dir["out/lib.pdb"]}\n");
        Assert.True(Ran(Link(tool)));
        Assert.False(Ran(Link(tool)));
        File.Delete(_dir["out/lib.pdb"]);
        Assert.True(Ran(Link(tool)));
        Assert.True(File.Exists(_dir["out/lib.pdb"]));
        Assert.False(Ran(Link(tool)));
        _dir.Write("out/lib.exp", "stale");
        Assert.True(Ran(Link(tool)));
        Assert.Equal(3, Runs);
    }

    [Fact]
    public void A_failed_run_is_not_recorded_and_an_input_edited_during_a_run_is_seen_next_time()
    {
        Input("a.o", "A");
        Input("b.o", "B");
        Directory.CreateDirectory(_dir["out"]);
        string failing = Tool("exit 3\n");
        Assert.Equal(3, Link(failing).Run()!.ExitCode);
        Assert.False(File.Exists(Link(failing).RecordFile));
        Assert.Equal(3, Link(failing).Run()!.ExitCode);

        // The tool edits an input after reading it: the output was made from the old bytes, so it is not up to date.
        // (Its time set back a minute: settled, so only the stamps taken before the run tell.)
        string racing = Tool($"echo edited >> {_dir["a.o"]}\ntouch -d '1 minute ago' {_dir["a.o"]}\n");
        Assert.True(Ran(Link(racing)));
        Assert.True(Ran(Link(racing)));
        Assert.Equal(4, Runs);
    }

    [Fact]
    public void Msvc_linkers_are_known_by_name_and_a_library_is_searched_where_link_exe_searches()
    {
        Assert.All(["link", "LINK.EXE", @"C:\VS\bin\link.exe", "lld-link", "lld-link-14", "/usr/bin/lld-link-14.0"],
            name => Assert.True(MsvcLinker.IsMsvcLinker(name), name));
        Assert.All(["ld", "lld", "gcc", "linker", "lld-link-x", "cl"], name => Assert.False(MsvcLinker.IsMsvcLinker(name), name));
        Assert.Equal("link", MsvcLinker.For("cl.exe"));
        Assert.Equal("lld-link-14", MsvcLinker.For("/usr/bin/clang-cl-14"));
        Assert.Equal("lld-link", MsvcLinker.For(@"C:\LLVM\bin\clang-cl.exe"));

        // The working folder, each /LIBPATH folder, then LIB, up to the first that has it.
        _dir.Write("two/z.lib", "");
        _dir.Write("four/z.lib", "");
        Assert.Equal([_dir["z.lib"], _dir["one/z.lib"], _dir["two/z.lib"]],
            MsvcLinker.SearchPath("z.lib", _dir.Path, [_dir["one"], "two"], $"{_dir["three"]};{_dir["four"]}"));
        Assert.Equal([_dir["z.lib"], _dir["three/z.lib"], _dir["four/z.lib"]],
            MsvcLinker.SearchPath("z.lib", _dir.Path, [], $"{_dir["three"]}; {_dir["four"]};"));
    }

    [Fact]
    public void The_libraries_a_coff_object_asks_for_are_read_from_its_directives_plain_or_bigobj()
    {
        string obj = WindowsObject("p", "#pragma comment(lib, \"helper\")\n#pragma comment(lib, \"other.lib\")\nint f(void) { return 1; }\n",
            withRuntime: true);
        Assert.Equal(["libcmt.lib", "oldnames.lib", "helper.lib", "other.lib"], CoffDirectives.OfObject(obj));

        // /bigobj's header: the section table after 56 bytes, its count at 44.
        // Its class id tells it from other anonymous objects (LTCG's), which are not read; NULs pad directives.
        byte[] big = new byte[96];
        big[2] = 0xFF;
        big[3] = 0xFF;
        big[4] = 2;
        byte[] classId = [0xC7, 0xA1, 0xBA, 0xD1, 0xEE, 0xBA, 0xA9, 0x4B, 0xAF, 0x20, 0xFA, 0xF6, 0x6A, 0xA4, 0xDC, 0xB8];
        classId.CopyTo(big.AsSpan(12));
        big[44] = 1;
        ".drectve"u8.CopyTo(big.AsSpan(56));
        byte[] text = " /DEFAULTLIB:\"big.lib\" -defaultlib:second\0\0"u8.ToArray();
        BitConverter.TryWriteBytes(big.AsSpan(56 + 16), text.Length);
        BitConverter.TryWriteBytes(big.AsSpan(56 + 20), big.Length);
        File.WriteAllBytes(_dir["big.obj"], [.. big, .. text]);
        Assert.Equal(["big.lib", "second.lib"], CoffDirectives.OfObject(_dir["big.obj"]));
        big[12] ^= 1;
        File.WriteAllBytes(_dir["ltcg.obj"], [.. big, .. text]);
        Assert.Empty(CoffDirectives.OfObject(_dir["ltcg.obj"]));

        // Not a COFF object, cut short, or missing: nothing.
        Assert.Empty(CoffDirectives.OfObject(_dir.Write("text.obj", "not an object")));
        File.WriteAllBytes(_dir["short.obj"], File.ReadAllBytes(obj)[..30]);
        Assert.Empty(CoffDirectives.OfObject(_dir["short.obj"]));
        Assert.Empty(CoffDirectives.OfObject(_dir["missing.obj"]));
    }

    [Fact]
    public void What_a_link_exe_call_reads_follows_LINK_the_options_and_LIB_and_what_cannot_be_known_is_untracked()
    {
        string cwd = _dir.Path;
        _dir.Write("opts/z.lib", "");
        _dir.Write("exports.def", "");
        _dir.Write("order.txt", "");
        _dir.Write("app.res", "");
        // z.lib is looked for in the working folder, then LINK's /LIBPATH, the project's folders, the options', _LINK_'s,
        // and LIB; it is found in the options' folder. The map file an option names is an output, not an input.
        var read = MsvcLinker.Inputs(cwd, [], [_dir["dirs"]], ["z.lib"],
            ["/LIBPATH:opts", "/DEF:exports.def", "/MAP:out.map", "/ORDER:@order.txt", "app.res", "", "/NOENTRY"],
            "/LIBPATH:linkvar", "/LIBPATH:after", _dir["libvar"]);
        Assert.Null(read.Untracked);
        Assert.Equal([_dir["exports.def"], _dir["order.txt"], _dir["app.res"], _dir["z.lib"], _dir["linkvar/z.lib"], _dir["dirs/z.lib"],
            _dir["opts/z.lib"]], read.Files);

        // Found only through _LINK_'s folder; a library named in an option and by /DEFAULTLIB: too.
        _dir.Write("after/y.lib", "");
        _dir.Write("libvar/w.lib", "");
        read = MsvcLinker.Inputs(cwd, [], [], [], ["y.lib", "/DEFAULTLIB:w"], null, "/LIBPATH:after", _dir["libvar"]);
        Assert.Null(read.Untracked);
        Assert.Contains(_dir["after/y.lib"], read.Files);
        Assert.Contains(_dir["libvar/w.lib"], read.Files);

        // A response file, or a library in none of the folders: the link cannot be checked.
        Assert.Contains("response file", MsvcLinker.Inputs(cwd, [], [], [], ["@more.rsp"], null, null, null).Untracked);
        Assert.Contains("'nowhere.lib'", MsvcLinker.Inputs(cwd, [], [], ["nowhere"], [], null, null, null).Untracked);
    }

    [Fact]
    public void The_libraries_objects_ask_for_are_searched_unless_nodefaultlib_drops_them()
    {
        string obj = WindowsObject("p", "#pragma comment(lib, \"helper\")\nint f(void) { return 1; }\n");
        _dir.Write("libs/helper.lib", "");
        Assert.Contains(_dir["libs/helper.lib"],
            MsvcLinker.Inputs(_dir.Path, [obj], [_dir["libs"]], [], [], null, null, null).Files);
        Assert.DoesNotContain(_dir["libs/helper.lib"],
            MsvcLinker.Inputs(_dir.Path, [obj], [_dir["libs"]], [], ["/NODEFAULTLIB"], null, null, null).Files);
        Assert.DoesNotContain(_dir["libs/helper.lib"],
            MsvcLinker.Inputs(_dir.Path, [obj], [_dir["libs"]], [], ["/NODEFAULTLIB:helper.lib"], null, null, null).Files);
    }

    /// <summary>A Windows object (<c>src/name.obj</c>) compiled from <paramref name="code"/> by clang-cl; without the C
    /// runtime asked for (/Zl) unless <paramref name="withRuntime"/>.</summary>
    private string WindowsObject(string name, string code, bool withRuntime = false)
    {
        string source = _dir.Write($"src/{name}.c", code);
        string obj = _dir[$"src/{name}.obj"];
        string[] runtime = withRuntime ? [] : ["/Zl"];
        Tool("clang-cl-14", ["--target=x86_64-pc-windows-msvc", "/c", .. runtime, source, "/Fo" + obj]);
        return obj;
    }

    /// <summary><paramref name="library"/> made by llvm-lib from <paramref name="objects"/>.</summary>
    private void Librarian(string library, params string[] objects)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(library)!);
        Tool("llvm-lib-14", ["/OUT:" + library, .. objects]);
    }

    /// <summary>Runs a tool that must succeed.</summary>
    private void Tool(string program, string[] arguments)
    {
        var run = CompilerProcess.Run(program, arguments, _dir.Path);
        Assert.True(run.ExitCode == 0, $"{program}: {run.StartError}{System.Text.Encoding.UTF8.GetString(run.Stderr)}");
    }

    [Fact]
    public void The_libraries_a_librarys_members_ask_for_are_followed_from_library_to_library()
    {
        // helper.lib: a member asking for deep.lib (its name longer than an archive header holds), and one asking for none.
        Librarian(_dir["libs/helper.lib"],
            WindowsObject("helper_with_a_long_member_name", "#pragma comment(lib, \"deep\")\nint deep(void);\nint helper(void) { return deep(); }\n"),
            WindowsObject("plain", "int plain(void) { return 2; }\n"));
        // deep.lib asks for deeper.lib, which asks for helper.lib again: the chain ends.
        Librarian(_dir["libs/deep.lib"], WindowsObject("deep", "#pragma comment(lib, \"deeper.lib\")\nint deep(void) { return 1; }\n"));
        Librarian(_dir["libs/deeper.lib"], WindowsObject("deeper", "#pragma comment(lib, \"helper\")\nint deeper(void) { return 3; }\n"));
        Assert.Equal(["deep.lib"], CoffDirectives.OfLibrary(_dir["libs/helper.lib"]));

        var read = MsvcLinker.Inputs(_dir.Path, [], [_dir["libs"]], ["helper"], [], null, null, null);
        Assert.Null(read.Untracked);
        Assert.Equal([_dir["helper.lib"], _dir["libs/helper.lib"], _dir["deep.lib"], _dir["libs/deep.lib"], _dir["deeper.lib"],
            _dir["libs/deeper.lib"]], read.Files);
        // A library named by its path is read the same way.
        Assert.Contains(_dir["libs/deep.lib"], MsvcLinker.Inputs(_dir.Path, [], [_dir["libs"]], [_dir["libs/helper.lib"]], [], null, null,
            null).Files);

        // /NODEFAULTLIB drops what libraries ask for as it drops what objects ask for.
        Assert.Equal([_dir["helper.lib"], _dir["libs/helper.lib"]],
            MsvcLinker.Inputs(_dir.Path, [], [_dir["libs"]], ["helper"], ["/NODEFAULTLIB"], null, null, null).Files);
        Assert.Equal([_dir["helper.lib"], _dir["libs/helper.lib"]],
            MsvcLinker.Inputs(_dir.Path, [], [_dir["libs"]], ["helper"], ["/NODEFAULTLIB:deep.lib"], null, null, null).Files);

        // What a settled library asks for is remembered, and read again once it changed.
        File.SetLastWriteTimeUtc(_dir["libs/deep.lib"], DateTime.UtcNow.AddMinutes(-1));
        Assert.Equal(["deeper.lib"], CoffDirectives.OfLibrary(_dir["libs/deep.lib"]));
        Librarian(_dir["libs/deep.lib"], WindowsObject("deep2", "#pragma comment(lib, \"other\")\nint deep(void) { return 2; }\n"));
        Assert.Equal(["other.lib"], CoffDirectives.OfLibrary(_dir["libs/deep.lib"]));
        Librarian(_dir["libs/deep.lib"], _dir["src/deep.obj"]);

        // A library that only a library asks for and that is nowhere (the member asking for it may not be linked) counts as
        // absent where it was looked for: created there, the link runs again.
        File.Delete(_dir["libs/deeper.lib"]);
        read = MsvcLinker.Inputs(_dir.Path, [], [_dir["libs"]], ["helper"], [], null, null, null);
        Assert.Null(read.Untracked);
        Assert.Equal([_dir["deeper.lib"], _dir["libs/deeper.lib"]], read.Files[^2..]);

        // A thin archive's members are files elsewhere: the link cannot be checked.
        Tool("llvm-lib-14", ["/llvmlibthin", "/OUT:" + _dir["libs/thin.lib"], _dir["src/plain.obj"]]);
        Assert.Contains("thin archive", MsvcLinker.Inputs(_dir.Path, [], [_dir["libs"]], ["thin"], [], null, null, null).Untracked);

        // A library of many members, read through more than one window: the last member's ask is seen.
        Directory.CreateDirectory(_dir["many"]);
        var many = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            File.Copy(_dir["src/plain.obj"], _dir[$"many/m{i}.obj"]);
            many.Add(_dir[$"many/m{i}.obj"]);
        }
        many.Add(WindowsObject("last", "#pragma comment(lib, \"last\")\nint last(void) { return 4; }\n"));
        Librarian(_dir["many.lib"], [.. many]);
        Assert.True(new FileInfo(_dir["many.lib"]).Length > 1 << 17);
        Assert.Equal(["last.lib"], CoffDirectives.OfLibrary(_dir["many.lib"]));

        // A member of odd size is followed by a byte of padding: the next member is found after it.
        static byte[] Member(string name, byte[] data) =>
            [.. System.Text.Encoding.ASCII.GetBytes($"{name,-16}{"0",-12}{"0",-6}{"0",-6}{"644",-8}{data.Length,-10}`\n"), .. data,
                .. (data.Length % 2 == 1 ? "\n"u8.ToArray() : [])];
        File.WriteAllBytes(_dir["odd.lib"], [.. "!<arch>\n"u8, .. Member("odd.txt/", "abc"u8.ToArray()),
            .. Member("helper.obj/", File.ReadAllBytes(_dir["src/helper_with_a_long_member_name.obj"]))]);
        Assert.Equal(["deep.lib"], CoffDirectives.OfLibrary(_dir["odd.lib"]));

        // Not an archive, or one cut short anywhere: what can be read, never an error.
        Assert.Equal([], CoffDirectives.OfLibrary(_dir.Write("text.lib", "not a library")));
        Assert.Equal([], CoffDirectives.OfLibrary(_dir["missing.lib"]));
        byte[] whole = File.ReadAllBytes(_dir["libs/helper.lib"]);
        for (int cut = 0; cut < whole.Length; cut += 7)
        {
            File.WriteAllBytes(_dir["cut.lib"], whole[..cut]);
            Assert.True(CoffDirectives.OfLibrary(_dir["cut.lib"]) is [] or ["deep.lib"]);
        }
    }
}
