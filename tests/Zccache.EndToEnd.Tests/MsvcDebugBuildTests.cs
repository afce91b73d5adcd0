namespace Zccache.EndToEnd.Tests;

/// <summary>
/// vcxproj Debug defaults (<c>DebugInformationFormat=ProgramDatabase</c>) with an MSVC-style
/// compiler: compiled <c>/Z7</c>, cached, and linked into a DLL whose PDB has the debug information.
/// Windows objects on Linux: clang-cl-14 with <c>--target=x86_64-pc-windows-msvc</c> behind a
/// wrapper named <c>cl</c>, sources that need no system headers, Debian's lld-link.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class MsvcDebugBuildTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "msvcdebug");
    private const string ObjDir = "app/obj/Debug/net10.0/zccache";

    public void Dispose() => _ws.Dispose();

    private void App(string properties = "")
    {
        string cl = _ws.Write("bin/cl", "#!/bin/sh\nexec clang-cl-14 --target=x86_64-pc-windows-msvc \"$@\"\n");
        File.SetUnixFileMode(cl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _ws.Write("app/native/include/shape.h", "#pragma once\n#define SIDES 4\nint area(int w, int h);\n");
        _ws.Write("app/native/area.c", "#include \"shape.h\"\nint area(int w, int h) { return w * h; }\n");
        _ws.Write("app/native/sides.cpp", "extern \"C\" int sides() { return 3; }\n");
        _ws.Project("app/app.csproj", """
            <ItemGroup>
              <ClCompile Include="native/*.c;native/*.cpp" AdditionalIncludeDirectories="native/include"
                         DebugInformationFormat="ProgramDatabase" Optimization="Disabled" AdditionalOptions="/Brepro" />
            </ItemGroup>
            <Target Name="LinkNative" AfterTargets="ZccacheCompile">
              <Exec Command="lld-link-14 /DLL /NOENTRY /NODEFAULTLIB /DEBUG /EXPORT:area /EXPORT:sides /OUT:$(OutDir)native.dll /PDB:$(OutDir)native.pdb @(ZccacheObject->'%(FullPath)', ' ')" />
            </Target>
            """, $"<ZccacheCC>{cl}</ZccacheCC>{properties}");
    }

    [Fact]
    public void Program_database_compiles_as_z7_cold_misses_warm_hits_and_the_link_writes_a_pdb()
    {
        App();
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((2L, 0L, 2L, 0L), (cold.Stats!.Compilations, cold.Stats.Hits, cold.Stats.Misses, cold.Stats.NonCacheable));
        var objects = _ws.Objects(ObjDir, "*.obj");
        Assert.Equal(["native/area.c.obj", "native/sides.cpp.obj"], objects.Keys);
        foreach (var (name, bytes) in objects)
        {
            Assert.Equal(0x8664, BitConverter.ToUInt16(bytes, 0)); // a COFF object for x64
            string sections = NativeTools.Run("llvm-readobj-14", "--sections", _ws[ObjDir + "/" + name]);
            Assert.Contains(".debug$S", sections); // CodeView in the object: /Z7
            Assert.Contains(".debug$T", sections);
        }
        Assert.Contains("Has Debug Info: true", NativeTools.Run("llvm-pdbutil-14", "dump", "-summary", _ws["app/bin/Debug/net10.0/native.pdb"]));

        _ws.Delete("app/obj");
        _ws.Delete("app/bin");
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((2L, 2L, 0L, 0L), (warm.Stats!.Compilations, warm.Stats.Hits, warm.Stats.Misses, warm.Stats.NonCacheable));
        Assert.Equal(objects, _ws.Objects(ObjDir, "*.obj"));
        Assert.Contains("Has Debug Info: true", NativeTools.Run("llvm-pdbutil-14", "dump", "-summary", _ws["app/bin/Debug/net10.0/native.pdb"]));

        // A header edit misses its includer only.
        File.AppendAllText(_ws["app/native/include/shape.h"], "#define EDITED 1\n");
        var edited = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(edited.Succeeded, edited.Output);
        Assert.Equal((0L, 1L, 1L), (edited.Stats!.Hits, edited.Stats.Misses, edited.Stats.UpToDate)); // the other is up to date
        Assert.Contains("miss (input_changed) native/area.c", edited.Output);
    }

    [Fact]
    public void Keeping_the_program_database_runs_cl_uncached()
    {
        App("<ZccacheDebugInformationFormat>AsProject</ZccacheDebugInformationFormat>");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((2L, 0L, 2L), (r.Stats!.Compilations, r.Stats.Hits, r.Stats.NonCacheable));
        Assert.Contains("not cached (program_database) native/area.c", r.Output);
    }
}
