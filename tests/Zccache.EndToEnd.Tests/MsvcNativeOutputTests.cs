using System.IO.Compression;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// <c>ZccacheNativeOutput</c> with an MSVC-style compiler: the objects linked by lld-link (link.exe's stand-in) into a
/// Windows DLL or librarian-made static library, named for the win-x64 RID, copied and packed; not cached, but linked
/// again exactly when something the link reads changed. Windows objects on Linux: clang-cl-14 with
/// <c>--target=x86_64-pc-windows-msvc</c> behind a wrapper named <c>clang-cl</c>, sources without system headers.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class MsvcNativeOutputTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "msvclink");
    private const string Native = "app/obj/Debug/net10.0/win-x64/zccache/native/";
    private const string Target = "--target=x86_64-pc-windows-msvc";

    public void Dispose() => _ws.Dispose();

    private void App(string output, string linker = "<ZccacheLinker>lld-link-14</ZccacheLinker>", string name = "shapes",
        string rid = "win-x64")
    {
        string cl = _ws.Write("bin/clang-cl", $"#!/bin/sh\nexec clang-cl-14 {Target} \"$@\"\n");
        File.SetUnixFileMode(cl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _ws.Write("app/native/area.c", "int helper(void);\n__declspec(dllexport) int area(int w, int h) { return w * h * helper(); }\n");
        _ws.Write("app/native/sides.cpp", Sides);
        Library("app/libs", "helper", 1, asks: "deep");
        Library("app/libs", "deep", 1);
        Library("app/libs", "extra", 1);
        _ws.Project("app/app.csproj", """
            <ItemGroup>
              <ClCompile Include="native/*.c;native/*.cpp" DebugInformationFormat="OldStyle" AdditionalOptions="/Zl" />
            </ItemGroup>
            <ItemDefinitionGroup>
              <Link>
                <AdditionalDependencies>helper</AdditionalDependencies>
                <AdditionalLibraryDirectories>libs</AdditionalLibraryDirectories>
                <AdditionalOptions>/NOENTRY /DEBUG</AdditionalOptions>
              </Link>
            </ItemDefinitionGroup>
            """,
            $"<RuntimeIdentifier>{rid}</RuntimeIdentifier><ZccacheCC>{cl}</ZccacheCC>{linker}"
            + $"<ZccacheNativeOutput>{output}</ZccacheNativeOutput><ZccacheNativeName>{name}</ZccacheNativeName><IsPackable>true</IsPackable>");
    }

    /// <summary>sides.cpp asks for extra.lib itself (objects are compiled /Zl: no C runtime asked for).</summary>
    private const string Sides = "#pragma comment(lib, \"extra\")\nextern \"C\" int extra(void);\n"
        + "extern \"C\" __declspec(dllexport) int sides() { return 3 + extra(); }\n";

    /// <summary><paramref name="function"/>.lib in <paramref name="folder"/>: that function, returning <paramref name="value"/>
    /// (times what the function <paramref name="asks"/> names returns, its library asked for by the object itself).</summary>
    private void Library(string folder, string function, int value, string? asks = null)
    {
        string code = asks is null ? $"int {function}(void) {{ return {value}; }}\n"
            : $"#pragma comment(lib, \"{asks}\")\nint {asks}(void);\nint {function}(void) {{ return {value} * {asks}(); }}\n";
        string source = _ws.Write($"lib-src/{function}{value}/{function}.c", code);
        string obj = _ws[$"lib-src/{function}{value}/{function}.obj"];
        NativeTools.Run("clang-cl-14", Target, "/c", "/Zl", source, "/Fo" + obj);
        Directory.CreateDirectory(_ws[folder]);
        NativeTools.Run("lld-link-14", "/LIB", "/OUT:" + _ws[$"{folder}/{function}.lib"], obj);
    }

    [Fact]
    public void A_dll_is_linked_by_lld_link_copied_packed_and_linked_again_only_when_what_it_reads_changed()
    {
        App("SharedLibrary");
        var cold = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((2L, 2L), (cold.Stats!.Compilations, cold.Stats.Misses));
        Assert.Equal((0L, 0L, 0L), cold.Stats.Links); // not cached, so not counted as a cached link
        Assert.Contains("zccache: linked (not cached) shapes.dll", cold.Output);
        byte[] dll = File.ReadAllBytes(_ws[Native + "shapes.dll"]);
        Assert.Equal("MZ"u8.ToArray(), dll[..2]);
        string exports = NativeTools.Run("llvm-readobj-14", "--coff-exports", _ws[Native + "shapes.dll"]);
        Assert.Contains("Name: area", exports);
        Assert.Contains("Name: sides", exports);
        Assert.Contains("Has Debug Info: true", NativeTools.Run("llvm-pdbutil-14", "dump", "-summary", _ws[Native + "shapes.pdb"]));
        Assert.Equal(dll, File.ReadAllBytes(_ws["app/bin/Debug/net10.0/win-x64/shapes.dll"]));

        // The objects were written moments before the link, too recently to be trusted by their stamps: the next build
        // links once more (they are settled here, not by waiting). Then nothing changed: not linked again, the DLL untouched.
        _ws.Settle("app/obj", "*.obj");
        _ws.Settle("app/libs", "*.lib");
        var settle = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(settle.Succeeded, settle.Output);
        Assert.Contains("zccache: linked (not cached) shapes.dll", settle.Output);
        var written = File.GetLastWriteTimeUtc(_ws[Native + "shapes.dll"]);
        var still = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(still.Succeeded, still.Output);
        Assert.Contains("zccache: up to date shapes.dll", still.Output);
        Assert.Equal(written, File.GetLastWriteTimeUtc(_ws[Native + "shapes.dll"]));

        // The PDB deleted: linked again, and it is back.
        File.Delete(_ws[Native + "shapes.pdb"]);
        var noPdb = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(noPdb.Succeeded, noPdb.Output);
        Assert.Contains("zccache: linked (not cached) shapes.dll", noPdb.Output);
        Assert.True(File.Exists(_ws[Native + "shapes.pdb"]));

        // An edited source: its object changes, the DLL is linked again with the new export.
        _ws.Write("app/native/sides.cpp", Sides + "extern \"C\" __declspec(dllexport) int perimeter(int w, int h) { return 2 * (w + h); }\n");
        var edited = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(edited.Succeeded, edited.Output);
        Assert.Contains("zccache: linked (not cached) shapes.dll", edited.Output);
        Assert.Contains("Name: perimeter", NativeTools.Run("llvm-readobj-14", "--coff-exports", _ws[Native + "shapes.dll"]));
        byte[] before = File.ReadAllBytes(_ws[Native + "shapes.dll"]);

        // A helper.lib created where the linker looks first (the project's folder) shadows libs/helper.lib: linked again,
        // with the other helper's code.
        Library("app", "helper", 2, asks: "deep");
        var shadowed = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(shadowed.Succeeded, shadowed.Output);
        Assert.Contains("zccache: linked (not cached) shapes.dll", shadowed.Output);
        byte[] withShadow = File.ReadAllBytes(_ws[Native + "shapes.dll"]);
        Assert.NotEqual(before, withShadow);

        // extra.lib, which sides.cpp's object asks for itself, rebuilt in place: linked again.
        Library("app/libs", "extra", 2);
        var rebuilt = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(rebuilt.Succeeded, rebuilt.Output);
        Assert.Contains("zccache: linked (not cached) shapes.dll", rebuilt.Output);
        Assert.NotEqual(withShadow, File.ReadAllBytes(_ws[Native + "shapes.dll"]));

        // deep.lib, which no object asks for but a member of helper.lib does, rebuilt in place: linked again.
        _ws.Settle("app", "helper.lib");
        _ws.Settle("app/libs", "*.lib");
        _ws.Settle("app/obj", "*.obj");
        Assert.Contains("zccache: linked (not cached) shapes.dll", _ws.Build("app/app.csproj", "-v:n").Output);
        Assert.Contains("zccache: up to date shapes.dll", _ws.Build("app/app.csproj", "-v:n").Output);
        byte[] withExtra = File.ReadAllBytes(_ws[Native + "shapes.dll"]);
        Library("app/libs", "deep", 2);
        var deep = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(deep.Succeeded, deep.Output);
        Assert.Contains("zccache: linked (not cached) shapes.dll", deep.Output);
        Assert.NotEqual(withExtra, File.ReadAllBytes(_ws[Native + "shapes.dll"]));

        var pack = _ws.Run(["pack", "app/app.csproj", "-o", _ws["packages"]], new());
        Assert.True(pack.Succeeded, pack.Output);
        using var nupkg = ZipFile.OpenRead(Directory.GetFiles(_ws["packages"], "app.*.nupkg").Single());
        Assert.Contains(nupkg.Entries, e => e.FullName == "runtimes/win-x64/native/shapes.dll");
    }

    [Fact]
    public void A_static_library_is_made_by_the_librarian_and_left_alone_when_nothing_changed()
    {
        App("StaticLibrary");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        Assert.Contains("zccache: archived (not cached) shapes.lib", r.Output);
        Assert.Equal("!<arch>\n"u8.ToArray(), File.ReadAllBytes(_ws[Native + "shapes.lib"])[..8]);
        string members = NativeTools.Run("llvm-ar-14", "t", _ws[Native + "shapes.lib"]);
        Assert.Contains("area.c.obj", members);
        Assert.Contains("sides.cpp.obj", members);
        _ws.Settle("app/obj", "*.obj"); // fresh objects: archived once more
        Assert.Contains("zccache: archived (not cached) shapes.lib", _ws.Build("app/app.csproj", "-v:n").Output);
        var written = File.GetLastWriteTimeUtc(_ws[Native + "shapes.lib"]);
        var again = _ws.Build("app/app.csproj", "-v:n");
        Assert.Contains("zccache: up to date shapes.lib", again.Output);
        Assert.Equal(written, File.GetLastWriteTimeUtc(_ws[Native + "shapes.lib"]));
    }

    [Fact]
    public void Clang_cl_objects_go_to_lld_link_on_path_and_a_linker_that_cannot_run_or_a_dll_named_as_the_assembly_is_an_error()
    {
        App("SharedLibrary", linker: "");
        string calls = _ws["lld-link-calls"];
        string lld = _ws.Write("bin/lld-link", $"#!/bin/sh\necho \"$@\" >> {calls}\nexec lld-link-14 \"$@\"\n");
        File.SetUnixFileMode(lld, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var r = _ws.Run(["build", "app/app.csproj"], new() { ["PATH"] = _ws["bin"] + ":" + Environment.GetEnvironmentVariable("PATH") });
        Assert.True(r.Succeeded, r.Output);
        Assert.StartsWith("/NOLOGO /DLL /OUT:" + _ws[Native + "shapes.dll"] + " ", File.ReadAllText(calls));

        App("SharedLibrary", linker: "<ZccacheLinker>lld-link-99</ZccacheLinker>");
        var missing = _ws.Build("app/app.csproj");
        Assert.False(missing.Succeeded);
        Assert.Contains("ZC3001", missing.Output);
        Assert.Contains("error ZC3001: the linker 'lld-link-99' was not found (set ZccacheLinker, or install it).", missing.Output);
        Assert.DoesNotContain("ZC3005", missing.Output);

        // app.dll is the project's own assembly: a native DLL of that name would overwrite it in bin/.
        App("SharedLibrary", name: "app");
        var clash = _ws.Build("app/app.csproj");
        Assert.False(clash.Succeeded);
        Assert.Contains("ZC2002", clash.Output);
        Assert.Contains("ZccacheNativeName 'app' names the native output app.dll", clash.Output);

        // Without a Windows RID the DLL would be named, copied and packed as a Linux library.
        App("SharedLibrary", rid: "");
        var linuxNamed = _ws.Build("app/app.csproj");
        Assert.False(linuxNamed.Succeeded);
        Assert.Contains("ZC2002", linuxNamed.Output);
        Assert.Contains("lld-link-14 links Windows binaries, but the native output is named libshapes.so", linuxNamed.Output);
    }
}
