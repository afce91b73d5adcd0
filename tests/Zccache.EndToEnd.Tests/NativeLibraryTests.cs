using System.IO.Compression;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// ClCompile → cached link → $(OutDir) → NuGet package → P/Invoke: a .NET project that wraps native code, as its
/// author builds, tests and packs it.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class NativeLibraryTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "native");
    private const string Library = "native/obj/Debug/net10.0/zccache/native/libmylib.so";

    public void Dispose() => _ws.Dispose();

    private void NativeProject(string output = "SharedLibrary", string extra = "")
    {
        _ws.Write("native/c/add.c", "int add(int a, int b) { return a + b; }\n");
        _ws.Write("native/c/scale.cpp", "extern \"C\" int scale(int a) { return a * SCALE; }\n");
        _ws.Write("native/Native.cs", """
            using System.Runtime.InteropServices;
            public static class Native
            {
                [DllImport("mylib")] public static extern int add(int a, int b);
                [DllImport("mylib")] public static extern int scale(int a);
            }
            """);
        _ws.Project("native/native.csproj", """
            <ItemGroup><ClCompile Include="c/*.c;c/*.cpp" PreprocessorDefinitions="SCALE=$(Scale)" /></ItemGroup>
            <ItemDefinitionGroup><Link><AdditionalDependencies>$(ExtraLibs)</AdditionalDependencies></Link></ItemDefinitionGroup>
            """ + extra,
            $"<ZccacheNativeOutput>{output}</ZccacheNativeOutput><ZccacheNativeName>mylib</ZccacheNativeName>"
            + "<Scale>3</Scale><IsPackable>true</IsPackable>");
    }

    [Fact]
    public void A_shared_library_is_linked_copied_called_from_dotnet_test_and_packed()
    {
        NativeProject();
        _ws.Write("tests/NativeTests.cs", """
            public class NativeTests
            {
                [Xunit.Fact] public void Adds() => Xunit.Assert.Equal(5, Native.add(2, 3));
                [Xunit.Fact] public void Scales_with_cplusplus() => Xunit.Assert.Equal(12, Native.scale(4));
            }
            """);
        _ws.Write("tests/tests.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework><NuGetAudit>false</NuGetAudit><IsPackable>false</IsPackable></PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <ProjectReference Include="../native/native.csproj" />
              </ItemGroup>
            </Project>
            """);
        var test = _ws.Run(["test", "tests/tests.csproj"], new());
        Assert.True(test.Succeeded, test.Output);
        Assert.Contains("Passed!  - Failed:     0, Passed:     2", test.Output);
        Assert.True(File.Exists(_ws["native/bin/Debug/net10.0/libmylib.so"]));
        Assert.True(File.Exists(_ws["tests/bin/Debug/net10.0/libmylib.so"]));
        // Two compiles, misses; the link, a link miss (counted apart from compiles).
        Assert.Equal((2L, 2L), (test.Stats!.Compilations, test.Stats.Misses));
        Assert.Equal((0L, 1L, 0L), test.Stats.Links);

        var pack = _ws.Run(["pack", "native/native.csproj", "-o", _ws["packages"]], new());
        Assert.True(pack.Succeeded, pack.Output);
        using var nupkg = ZipFile.OpenRead(Directory.GetFiles(_ws["packages"], "native.*.nupkg").Single());
        Assert.Contains(nupkg.Entries, e => e.FullName == "runtimes/linux-x64/native/libmylib.so");
    }

    [Fact]
    public void The_link_is_up_to_date_when_nothing_changed_a_hit_after_a_clean_and_a_miss_after_an_edit()
    {
        NativeProject();
        var cold = _ws.Build("native/native.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((2L, 2L), (cold.Stats!.Compilations, cold.Stats.Misses));
        Assert.Equal((0L, 1L, 0L), cold.Stats.Links);
        byte[] linked = File.ReadAllBytes(_ws[Library]);
        var mtime = File.GetLastWriteTimeUtc(_ws[Library]);
        Thread.Sleep(2100); // past the racy window: the inputs' stamps are trusted

        // The objects were written moments before the link read them: their stamps are trusted from the next build
        // on, so this build looks the link up (a hit that leaves the identical library as it is) and the next one
        // finds it up to date.
        var same = _ws.Build("native/native.csproj", "-v:n");
        Assert.True(same.Succeeded, same.Output);
        Assert.Equal((0L, 2L), (same.Stats!.Compilations, same.Stats.UpToDate));
        // a hit, or up to date when it ran 2 s after its objects
        Assert.Equal((0L, 1L), (same.Stats.LinkMisses, same.Stats.LinkHits + same.Stats.LinkUpToDate));
        var still = _ws.Build("native/native.csproj", "-v:d");
        Assert.True(still.Succeeded, still.Output);
        Assert.Equal((0L, 2L), (still.Stats!.Compilations, still.Stats.UpToDate));
        Assert.Equal((0L, 0L, 1L), still.Stats.Links);
        Assert.Contains("links: 0 hits, 0 misses, 1 up to date", still.Output);
        Assert.Contains("zccache: up to date libmylib.so", still.Output);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(_ws[Library])); // never relinked, never touched

        _ws.Delete("native/obj");
        _ws.Delete("native/bin");
        var warm = _ws.Build("native/native.csproj", "-v:n");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((2L, 2L), (warm.Stats!.Compilations, warm.Stats.Hits));
        Assert.Equal((1L, 0L, 0L), warm.Stats.Links);
        Assert.Contains("zccache: hit libmylib.so", warm.Output);
        Assert.Equal(linked, File.ReadAllBytes(_ws[Library]));
        Assert.Equal(linked, File.ReadAllBytes(_ws["native/bin/Debug/net10.0/libmylib.so"]));

        _ws.Write("native/c/add.c", "int add(int a, int b) { return a + b + 1; }\n");
        var edited = _ws.Build("native/native.csproj", "-v:n");
        Assert.True(edited.Succeeded, edited.Output);
        Assert.Equal((1L, 1L), (edited.Stats!.Misses, edited.Stats.UpToDate)); // add.c; scale.cpp is up to date
        Assert.Equal((0L, 1L, 0L), edited.Stats.Links);
        Assert.Contains("zccache: miss (input_changed) libmylib.so", edited.Output);
        Assert.NotEqual(linked, File.ReadAllBytes(_ws[Library]));

        // Another library on the link line (vcxproj's <Link><AdditionalDependencies>) is a miss too.
        var more = _ws.Build("native/native.csproj", "-v:n", "-p:ExtraLibs=m");
        Assert.True(more.Succeeded, more.Output);
        Assert.Contains("zccache: miss (context_not_found) libmylib.so", more.Output);
        Assert.Equal(2L, more.Stats!.UpToDate);
        Assert.Equal((0L, 1L, 0L), more.Stats.Links);

        // The link's store keeps the cache to ZccacheCacheSize as a compile's does: here it is the build's only store. (Without
        // the Exec environment, whose ZCCACHE_CACHE_SIZE the task would also see in its process, the property alone says it.)
        var planted = _ws.PlantOldEntriesAndMakeTrimDue();
        var kept = _ws.Build("native/native.csproj", "-v:n", "-p:ExtraLibs=dl", "-p:ZccacheCacheSize=8K",
            "-p:ZccacheExecEnvironment=false");
        Assert.True(kept.Succeeded, kept.Output);
        Assert.Equal((0L, 2L), (kept.Stats!.Compilations, kept.Stats.UpToDate));
        Assert.Equal((0L, 1L, 0L), kept.Stats.Links);
        Assert.All(planted, entry => Assert.False(Directory.Exists(entry)));
        Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(_ws.LastTrimFile) < TimeSpan.FromMinutes(1));
        Assert.True(new FileInfo(_ws[Library]).Length > 0);
    }

    [Fact]
    public void A_static_library_and_an_executable()
    {
        NativeProject(output: "StaticLibrary");
        var archive = _ws.Build("native/native.csproj");
        Assert.True(archive.Succeeded, archive.Output);
        string lib = _ws["native/obj/Debug/net10.0/zccache/native/libmylib.a"];
        // Its objects were too fresh to be trusted by stamp: archived again once (they are settled here, not by waiting), then
        // left alone.
        _ws.Settle("native/obj", "*.o");
        Assert.Contains("zccache: archived libmylib.a", _ws.Build("native/native.csproj", "-v:n").Output);
        var mtime = File.GetLastWriteTimeUtc(lib);
        var again = _ws.Build("native/native.csproj", "-v:n");
        Assert.Contains("zccache: up to date libmylib.a", again.Output);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(lib));

        _ws.Write("program/c/main.c", "#include <stdio.h>\nint main(void) { printf(\"linked %d\\n\", 6 * 7); return 0; }\n");
        _ws.Project("program/program.csproj", """
            <ItemGroup><ClCompile Include="c/*.c" /></ItemGroup>
            <ItemDefinitionGroup><Link><AdditionalDependencies>m</AdditionalDependencies></Link></ItemDefinitionGroup>
            """,
            "<ZccacheNativeOutput>Executable</ZccacheNativeOutput><ZccacheNativeName>hello</ZccacheNativeName>");
        var program = _ws.Build("program/program.csproj", "-v:n");
        Assert.True(program.Succeeded, program.Output);
        var run = Dotnet.Run(_ws.Root, [], new(), _ws["program/bin/Debug/net10.0/hello"]);
        Assert.Equal((0, "linked 42"), (run.ExitCode, run.Output.Trim()));
    }

    [Fact]
    public void A_NoTargets_project_links_copies_and_packs_the_library()
    {
        _ws.Write("nt/c/add.c", "int add(int a, int b) { return a + b; }\n");
        _ws.Write("nt/nt.csproj", $"""
            <Project Sdk="Microsoft.Build.NoTargets/3.7.0">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework><NuGetAudit>false</NuGetAudit>
                <ZccacheNativeOutput>SharedLibrary</ZccacheNativeOutput><ZccacheNativeName>ntlib</ZccacheNativeName>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Zccache.MSBuild" Version="{_ws.PackageVersion}" PrivateAssets="all" />
                <ClCompile Include="c/*.c" />
              </ItemGroup>
            </Project>
            """);
        var pack = _ws.Run(["pack", "nt/nt.csproj", "-c", "Debug", "-o", _ws["packages"]], new());
        Assert.True(pack.Succeeded, pack.Output);
        Assert.Equal((1L, 1L), (pack.Stats!.Compilations, pack.Stats.Misses));
        Assert.Equal((0L, 1L, 0L), pack.Stats.Links);
        Assert.Equal(File.ReadAllBytes(_ws["nt/obj/Debug/net10.0/zccache/native/libntlib.so"]),
            File.ReadAllBytes(_ws["nt/bin/Debug/net10.0/libntlib.so"]));
        using var nupkg = ZipFile.OpenRead(Directory.GetFiles(_ws["packages"], "nt.*.nupkg").Single());
        Assert.Equal(["runtimes/linux-x64/native/libntlib.so"],
            nupkg.Entries.Select(e => e.FullName)
                .Where(n => !n.StartsWith('_') && !n.StartsWith('[') && !n.StartsWith("package/") && !n.EndsWith(".nuspec")));
    }

    [Fact]
    public void A_program_named_as_the_projects_own_apphost_is_a_clear_error()
    {
        _ws.Write("prog/c/main.c", "int main(void) { return 0; }\n");
        _ws.Write("prog/Program.cs", "System.Console.WriteLine(1);\n");
        _ws.Project("prog/prog.csproj", """<ItemGroup><ClCompile Include="c/*.c" /></ItemGroup>""",
            "<OutputType>Exe</OutputType><ZccacheNativeOutput>Executable</ZccacheNativeOutput><ZccacheNativeName>prog</ZccacheNativeName>");
        var r = _ws.Build("prog/prog.csproj");
        Assert.False(r.Succeeded);
        Assert.Contains("ZC2002", r.Output);
        Assert.Contains("ZccacheNativeName 'prog' names the native output prog, as the project's own assembly or program", r.Output);
    }

    [Fact]
    public void An_unknown_output_type_is_a_clear_error()
    {
        NativeProject(output: "Dll");
        var r = _ws.Build("native/native.csproj");
        Assert.False(r.Succeeded);
        Assert.Contains("ZC2002", r.Output);
        Assert.Contains("ZccacheNativeOutput 'Dll' is not SharedLibrary, StaticLibrary or Executable", r.Output);
    }
}
