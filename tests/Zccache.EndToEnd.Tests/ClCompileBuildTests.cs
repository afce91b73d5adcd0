namespace Zccache.EndToEnd.Tests;

/// <summary>A user's project with ClCompile items, built with real dotnet build, gcc and g++.</summary>
[Collection(BuildCollection.Name)]
public sealed class ClCompileBuildTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "clcompile");
    private const string ObjDir = "app/obj/Debug/net10.0/zccache";

    public void Dispose() => _ws.Dispose();

    private string App(string defines = "FOO=1", string dirs = "native/include", string properties = "")
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        return _ws.Project("app/app.csproj", $"""
            <ItemGroup>
              <ClCompile Include="native/src/**/*.c;native/src/**/*.cpp" AdditionalIncludeDirectories="{dirs}" PreprocessorDefinitions="{defines}" />
            </ItemGroup>
            <Target Name="ShowObjects" AfterTargets="Build">
              <Message Importance="high" Text="object: %(ZccacheObject.Identity) from %(ZccacheObject.Source)" />
            </Target>
            """, properties);
    }

    [Fact]
    public void Cold_build_misses_and_rebuild_after_deleting_obj_hits_with_identical_objects()
    {
        App();
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((4L, 0L, 4L, 0L), (cold.Stats!.Compilations, cold.Stats.Hits, cold.Stats.Misses, cold.Stats.NonCacheable));
        Assert.Equal(4, cold.Stats.UniqueSources);
        Assert.Equal(0.0, cold.Stats.HitRate);
        Assert.True(cold.Stats.BytesWritten > 0);
        Assert.Contains("app -> zccache: 4 compilations, 0 hits, 4 misses, 0 non-cacheable (0.0% hit rate)", cold.Output);
        Assert.Single(cold.SummaryLines);
        var coldObjects = _ws.Objects(ObjDir);
        // One object per source, mirrored folders: the two table.c files do not collide.
        Assert.Equal(new[] { "native/src/table.c.o", "native/src/tokenize.cpp.o", "native/src/util/format.cpp.o",
            "native/src/util/table.c.o" }, coldObjects.Keys);
        Assert.Contains($"object: {_ws[ObjDir + "/native/src/tokenize.cpp.o"]} from {_ws["app/native/src/tokenize.cpp"]}", cold.Output);

        _ws.Delete("app/obj");
        _ws.Delete("app/bin");
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((4L, 4L, 0L, 0L), (warm.Stats!.Compilations, warm.Stats.Hits, warm.Stats.Misses, warm.Stats.NonCacheable));
        Assert.Equal(1.0, warm.Stats.HitRate);
        Assert.Equal(cold.Stats.BytesWritten, warm.Stats.BytesRead);
        Assert.NotEqual(cold.Stats.SessionId, warm.Stats.SessionId);
        Assert.Contains("app -> zccache: 4 compilations, 4 hits, 0 misses, 0 non-cacheable (100.0% hit rate)", warm.Output);
        Assert.Equal(coldObjects, _ws.Objects(ObjDir));

        // And identical to what gcc/g++ produce without any cache, from the same command line.
        foreach (var (relative, bytes) in coldObjects)
        {
            string source = _ws["app/" + relative[..^2]];
            string plain = _ws["plain/" + relative];
            Directory.CreateDirectory(Path.GetDirectoryName(plain)!);
            string compiler = source.EndsWith(".c") ? "gcc" : "g++";
            var r = Dotnet.Run(_ws["app"], ["-c", "-DFOO=1", "-I" + _ws["app/native/include"], source, "-o", plain], new(), compiler);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(File.ReadAllBytes(plain), bytes);
        }
    }

    [Fact]
    public void Editing_one_header_misses_exactly_the_sources_that_include_it()
    {
        App();
        Assert.True(_ws.Build("app/app.csproj").Succeeded);
        // config.h is included by table.c and tokenize.cpp (through table.h), not by format.cpp or util/table.c.
        File.AppendAllText(_ws["app/native/include/config.h"], "\n#define CONFIG_EDITED 1\n");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        // The other two are up to date: not looked up, not compiled.
        Assert.Equal((2L, 0L, 2L, 2L), (r.Stats!.Compilations, r.Stats.Hits, r.Stats.Misses, r.Stats.UpToDate));
        Assert.Contains("miss (input_changed) native/src/table.c", r.Output.Replace('\\', '/'), StringComparison.Ordinal);
    }

    [Fact]
    public void A_no_change_rebuild_leaves_objects_untouched_so_links_stay_up_to_date()
    {
        App(properties: "<ZccacheParallelism>1</ZccacheParallelism>");
        Assert.True(_ws.Build("app/app.csproj").Succeeded);
        var before = Directory.EnumerateFiles(_ws[ObjDir], "*.o", SearchOption.AllDirectories)
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var again = _ws.Build("app/app.csproj");
        Assert.Equal((0L, 4L), (again.Stats!.Hits, again.Stats.UpToDate));
        File.Delete(_ws["app/obj/Debug/net10.0/zccache.objects"]); // without the up-to-date record every object is a hit, delivered…
        var hits = _ws.Build("app/app.csproj");
        Assert.Equal(4, hits.Stats!.Hits);
        // …but identical objects are left as they are
        foreach (var (file, mtime) in before) Assert.Equal(mtime, File.GetLastWriteTimeUtc(file));

        var bad = _ws.Build("app/app.csproj", "-p:ZccacheParallelism=lots");
        Assert.True(bad.Succeeded, bad.Output);
        Assert.Contains("warning ZC2002", bad.Output);
        // A budget that is not a size: said once per build (by the session's start), not by every task that stores.
        var badSize = _ws.Build("app/app.csproj", "-p:ZccacheCacheSize=big");
        Assert.True(badSize.Succeeded, badSize.Output);
        string said = Assert.Single(badSize.Output.Split('\n').Select(l => l.Trim())
            .Where(l => l.Contains("warning ZC2002: ZccacheCacheSize: 'big' is not a cache size")).Distinct());
        Assert.StartsWith(Path.Join(feed.Packages, "zccache.msbuild"), said); // the package's session project, run once per build
        Assert.Contains("/buildTransitive/Zccache.Session.proj(", said);
    }

    [Fact]
    public void A_changed_define_is_a_miss()
    {
        App(defines: "FOO=$(FooValue)", properties: "<FooValue>1</FooValue>");
        Assert.Equal(4, _ws.Build("app/app.csproj").Stats!.Misses);
        Assert.Equal(4, _ws.Build("app/app.csproj").Stats!.UpToDate);
        var changed = _ws.Build("app/app.csproj", "-p:FooValue=2");
        Assert.True(changed.Succeeded, changed.Output);
        Assert.Equal((0L, 4L, 0L), (changed.Stats!.Hits, changed.Stats.Misses, changed.Stats.UpToDate));
    }

    [Fact]
    public void A_new_header_in_an_earlier_include_directory_that_shadows_another_is_a_miss()
    {
        App(dirs: "native/override;native/include");
        Directory.CreateDirectory(_ws["app/native/override"]);
        Assert.Equal(4, _ws.Build("app/app.csproj").Stats!.Misses);
        Assert.Equal(4, _ws.Build("app/app.csproj").Stats!.UpToDate);
        // table.c and tokenize.cpp include "table.h", now found in override/ first. (A new override/config.h
        // would change nothing: table.h's "config.h" is found beside it, before any -I folder.)
        _ws.Write("app/native/override/table.h", "#pragma once\n#include \"../include/table.h\"\n#define FOO_OVERRIDDEN 1\n");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((0L, 2L, 2L), (r.Stats!.Hits, r.Stats.Misses, r.Stats.UpToDate));
        Assert.Contains("miss (include_shadowed)", r.Output);
    }

    [Fact]
    public void A_compile_error_is_cached_and_replayed_and_the_build_fails_both_times()
    {
        _ws.Write("app/native/bad.c", "int broken(void) { return undeclared_name; }\n");
        _ws.Write("app/native/good.c", "int good(void) { return 1; }\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/*.c" /></ItemGroup>""");
        var first = _ws.Build("app/app.csproj");
        var second = _ws.Build("app/app.csproj", "-v:n");
        foreach (var r in new[] { first, second })
        {
            Assert.False(r.Succeeded);
            Assert.Contains("native/bad.c(1,27): error : 'undeclared_name' undeclared", r.Output.Replace('‘', '\'').Replace('’', '\''));
        }
        Assert.Equal((2L, 0L, 2L, 1L, 0L),
            (first.Stats!.Compilations, first.Stats.Hits, first.Stats.Misses, first.Stats.Errors, first.Stats.ErrorsCached));
        // good.c is up to date; a failed compile is never up to date (it left no object): its failure is replayed.
        Assert.Equal((1L, 0L, 0L, 0L, 1L, 1L),
            (second.Stats!.Compilations, second.Stats.Hits, second.Stats.Misses, second.Stats.Errors, second.Stats.ErrorsCached,
                second.Stats.UpToDate));
        Assert.Contains("hit (cached error) native/bad.c", second.Output);
    }

    [Fact]
    public void A_build_that_fails_after_its_native_compiles_still_leaves_the_counts()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", NativeSources.Items() + """
            <Target Name="FailingLink" AfterTargets="ZccacheCompile">
              <Error Text="the link step failed" />
            </Target>
            """);
        var r = _ws.Build("app/app.csproj");
        Assert.False(r.Succeeded);
        Assert.Contains("the link step failed", r.Output);
        Assert.Equal((4L, 4L), (r.Stats!.Compilations, r.Stats.Misses));
    }

    [Fact]
    public void Disabled_builds_the_same_objects_and_writes_nothing_to_the_cache()
    {
        App();
        var off = _ws.Build("app/app.csproj", "-p:ZccacheEnabled=false");
        Assert.True(off.Succeeded, off.Output);
        Assert.False(Directory.Exists(_ws.CacheDir));
        Assert.Null(off.Stats);
        Assert.Empty(off.SummaryLines);
        var plainObjects = _ws.Objects(ObjDir);
        Assert.Equal(4, plainObjects.Count);

        _ws.Delete("app/obj");
        var on = _ws.Build("app/app.csproj");
        Assert.Equal(4, on.Stats!.Misses);
        Assert.Equal(plainObjects, _ws.Objects(ObjDir));
    }

    [Fact]
    public void A_non_cacheable_compile_still_runs_and_counts_with_its_reason()
    {
        _ws.Write("app/native/stamp.c", "const char *built_on = __DATE__ \" \" __TIME__;\n");
        _ws.Write("app/native/plain.c", "int plain(void) { return 2; }\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/*.c" /></ItemGroup>""");
        _ws.Build("app/app.csproj");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((1L, 0L, 0L, 1L, 1L), (r.Stats!.Compilations, r.Stats.Hits, r.Stats.Misses, r.Stats.NonCacheable, r.Stats.UpToDate));
        Assert.Contains("not cached (time_macros) native/stamp.c", r.Output);
        Assert.True(File.Exists(_ws[ObjDir + "/native/stamp.c.o"]));
    }

    [Fact]
    public void A_broken_cache_directory_warns_and_the_build_still_succeeds()
    {
        App();
        _ws.Write("not-a-directory", "the cache dir path is a file");
        var r = _ws.Run(["build", "app/app.csproj"], new() { ["ZCCACHE_CACHE_DIR"] = _ws["not-a-directory/cache"] });
        Assert.True(r.Succeeded, r.Output);
        Assert.Contains("warning ZC1001", r.Output);
        Assert.Equal(4, _ws.Objects(ObjDir).Count);
    }

    [Fact]
    public void Corrupt_cache_entries_warn_are_dropped_and_the_build_succeeds()
    {
        App();
        var cold = _ws.Build("app/app.csproj");
        byte[] reference = File.ReadAllBytes(_ws[ObjDir + "/native/src/table.c.o"]);
        foreach (string obj in Directory.EnumerateFiles(Path.Join(_ws.CacheDir, "v1", "entries"), "out.object",
            SearchOption.AllDirectories))
        {
            byte[] bytes = File.ReadAllBytes(obj);
            bytes[bytes.Length / 2] ^= 0x5a;
            File.WriteAllBytes(obj, bytes);
        }
        _ws.Delete("app/obj/Debug");
        var r = _ws.Build("app/app.csproj");
        Assert.True(r.Succeeded, r.Output);
        Assert.Contains("warning ZC1003", r.Output);
        Assert.Equal((0L, 4L), (r.Stats!.Hits, r.Stats.Misses));
        Assert.Equal(reference, File.ReadAllBytes(_ws[ObjDir + "/native/src/table.c.o"]));
        // The recompiled entries replaced the corrupt ones.
        _ws.Delete("app/obj/Debug");
        Assert.Equal(4, _ws.Build("app/app.csproj").Stats!.Hits);
    }

    [Fact]
    public void The_cache_dir_property_wins_over_the_environment()
    {
        App();
        var r = _ws.Build("app/app.csproj", "-p:ZccacheCacheDir=" + _ws["property-cache"]);
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal(4, r.Stats!.Misses);
        Assert.False(Directory.Exists(_ws.CacheDir));
        Assert.True(Directory.Exists(_ws["property-cache/sessions/" + r.Stats.SessionId]));
        Assert.Equal(4,
            Directory.GetDirectories(_ws["property-cache/v1/entries"], "*", SearchOption.AllDirectories)
                .Count(d => Path.GetFileName(d).Length == 64));
    }

    [Fact]
    public void A_full_disk_under_the_cache_warns_and_the_build_still_succeeds()
    {
        App();
        // A real full disk: a small tmpfs as the cache. Needs root (as CI and this project's machines run).
        string tiny = _ws["tiny"], cache = Path.Join(_ws["tiny"], "cache");
        Directory.CreateDirectory(tiny);
        var mount = Dotnet.Run(_ws.Root, ["-t", "tmpfs", "-o", "size=4m", "tmpfs", tiny], new(), "mount");
        Assert.True(mount.ExitCode == 0, "mount failed (the test needs root): " + mount.Output);
        try
        {
            // A cache that opens (its folders and shard counters made by a first build, whose entries are then
            // dropped), on a disk then filled so that a session still starts but storing entries runs out of space.
            Assert.True(_ws.Build("app/app.csproj", "-p:ZccacheCacheDir=" + cache).Succeeded);
            foreach (string dir in new[] { "v1/entries", "v1/manifests", "sessions" })
                Directory.Delete(Path.Join(cache, dir), recursive: true);
            _ws.Delete("app/obj");
            File.WriteAllBytes(Path.Join(tiny, "filler"), new byte[new DriveInfo(tiny).AvailableFreeSpace - 24 * 1024]);
            var r = _ws.Build("app/app.csproj", "-p:ZccacheCacheDir=" + cache);
            Assert.True(r.Succeeded, r.Output);
            Assert.True(r.Output.Contains("warning ZC1002"), r.Output); // storing failed; the compiles ran
            Assert.Equal(4, _ws.Objects(ObjDir).Count);
        }
        finally
        {
            Dotnet.Run(_ws.Root, [tiny], new(), "umount");
        }
        // And the objects are the right ones: the same as a normal cached build's.
        var full = _ws.Objects(ObjDir);
        _ws.Delete("app/obj/Debug");
        Assert.True(_ws.Build("app/app.csproj").Succeeded);
        Assert.Equal(full, _ws.Objects(ObjDir));
    }

    [Fact]
    public void Clang_compiles_are_cached_too()
    {
        App(properties: "<ZccacheCC>clang</ZccacheCC><ZccacheCXX>clang++</ZccacheCXX>");
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal(4, cold.Stats!.Misses);
        var objects = _ws.Objects(ObjDir);
        Assert.All(objects.Values, o => Assert.Contains("clang", System.Text.Encoding.Latin1.GetString(o)));
        _ws.Delete("app/obj");
        var warm = _ws.Build("app/app.csproj");
        Assert.Equal(4, warm.Stats!.Hits);
        Assert.Equal(objects, _ws.Objects(ObjDir));
    }

    [Fact]
    public void Two_checkouts_at_different_paths_share_entries_through_a_base_directory()
    {
        foreach (string checkout in new[] { "first", "second" })
        {
            NativeSources.WriteLibrary(_ws, checkout + "/app/native");
            _ws.Project(checkout + "/app/app.csproj", NativeSources.Items(),
                "<ZccacheObjectDirectory>$(MSBuildProjectDirectory)/obj/zc/</ZccacheObjectDirectory>");
        }
        var first = _ws.Run(["build", "first/app/app.csproj"], new() { ["ZCCACHE_BASEDIR"] = _ws["first"] });
        Assert.True(first.Succeeded, first.Output);
        Assert.Equal(4L, first.Stats!.Misses);
        var second = _ws.Run(["build", "second/app/app.csproj"], new() { ["ZCCACHE_BASEDIR"] = _ws["second"] });
        Assert.True(second.Succeeded, second.Output);
        Assert.Equal((4L, 4L), (second.Stats!.Compilations, second.Stats.Hits));
        Assert.Equal(_ws.Objects("first/app/obj/zc"), _ws.Objects("second/app/obj/zc"));
        // Without it, a third checkout shares nothing.
        NativeSources.WriteLibrary(_ws, "third/app/native");
        _ws.Project("third/app/app.csproj", NativeSources.Items());
        Assert.Equal(4L, _ws.Build("third/app/app.csproj").Stats!.Misses);
    }

    [Fact]
    public void Emscripten_compiles_are_cached_too()
    {
        App(properties: "<ZccacheCC>emcc</ZccacheCC><ZccacheCXX>em++</ZccacheCXX>");
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((4L, 0L, 4L), (cold.Stats!.Compilations, cold.Stats.Hits, cold.Stats.Misses));
        var objects = _ws.Objects(ObjDir);
        // WebAssembly objects: "\0asm".
        Assert.All(objects.Values, o => Assert.Equal("\0asm"u8.ToArray(), o[..4]));
        _ws.Delete("app/obj");
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((4L, 4L, 0L), (warm.Stats!.Compilations, warm.Stats.Hits, warm.Stats.Misses));
        Assert.Equal(objects, _ws.Objects(ObjDir));
    }

    [Fact]
    public void The_compiler_comes_from_CC_and_CXX_when_the_properties_are_not_set()
    {
        App();
        var r = _ws.Run(["build", "app/app.csproj", "-v:n"], new() { ["CC"] = "clang", ["CXX"] = "clang++" });
        Assert.True(r.Succeeded, r.Output);
        Assert.All(_ws.Objects(ObjDir).Values, o => Assert.Contains("clang", System.Text.Encoding.Latin1.GetString(o)));
    }
}
