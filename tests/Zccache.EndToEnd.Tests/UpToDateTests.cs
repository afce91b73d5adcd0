using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// Incremental builds: an object whose inputs have not changed is up to date — no lookup, no compile, not a hit and no
/// time saved — and the figures and the CI summary tell the truth about what the cache did.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class UpToDateTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "uptodate");

    public void Dispose() => _ws.Dispose();

    /// <summary>50 sources; the first 10 include inc/common.h.</summary>
    private void Fifty(string defines = "A=1")
    {
        _ws.Write("app/inc/common.h", "#define COMMON 7\n");
        Directory.CreateDirectory(_ws["app/override"]);
        for (int i = 0; i < 50; i++)
            _ws.Write($"app/src/s{i:D2}.c", i < 10
                ? $"#include \"common.h\"\nint f{i}(void) {{ return COMMON + {i}; }}\n"
                : $"int f{i}(void) {{ return {i}; }}\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="src/*.c" AdditionalIncludeDirectories="override;inc" """
            + $"""PreprocessorDefinitions="{defines}" /></ItemGroup>""");
    }

    private (BuildResult Build, List<JsonElement> Journal) BuildWithJournal(params string[] extra)
    {
        string journal = _ws[$"journal-{Guid.NewGuid():N}.jsonl"];
        var r = _ws.Build("app/app.csproj", ["-p:ZccacheJournal=" + journal, .. extra]);
        Assert.True(r.Succeeded, r.Output);
        var lines = File.Exists(journal) ? File.ReadAllLines(journal).Select(l => JsonDocument.Parse(l).RootElement).ToList() : [];
        // The figures add up: compilations = hits + misses + non-cacheable + cached errors; up to date apart.
        var s = r.Stats!;
        Assert.Equal(s.Compilations, s.Hits + s.Misses + s.NonCacheable + s.ErrorsCached);
        Assert.Equal(s.Compilations + s.UpToDate, lines.Count);
        Assert.Equal(s.UpToDate, lines.Count(l => l.GetProperty("outcome").GetString() == "up_to_date"));
        return (r, lines);
    }

    private static string[] Sources(IEnumerable<JsonElement> lines, string outcome) =>
        [.. lines.Where(l => l.GetProperty("outcome").GetString() == outcome)
            .Select(l => Path.GetFileName(l.GetProperty("source").GetString()!)).Order(StringComparer.Ordinal)];

    private static readonly string[] Includers = [.. Enumerable.Range(0, 10).Select(i => $"s{i:D2}.c")];

    [Fact]
    public void A_no_change_build_is_all_up_to_date_and_an_edit_rechecks_only_what_it_touches()
    {
        Fifty();
        var (cold, _) = BuildWithJournal();
        Assert.Equal((50L, 50L, 0L), (cold.Stats!.Compilations, cold.Stats.Misses, cold.Stats.UpToDate));
        var objects = _ws.Objects("app/obj/Debug/net10.0/zccache");
        var stamps = Directory.EnumerateFiles(_ws["app/obj/Debug/net10.0/zccache"], "*.o", SearchOption.AllDirectories)
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Thread.Sleep(2100); // past the racy window: the inputs' stamps are settled and trusted

        // Nothing changed: nothing looked up, compiled or delivered; no hit, nothing saved.
        var (same, _) = BuildWithJournal("-v:d");
        Assert.Equal((0L, 0L, 0L, 50L, 0L),
            (same.Stats!.Compilations, same.Stats.Hits, same.Stats.Misses, same.Stats.UpToDate, same.Stats.BytesRead));
        Assert.Equal((0L, 0L), (same.Stats.TimeSavedMs, same.Stats.WallTimeSavedMs));
        Assert.Null(same.Stats.HitRate);
        Assert.Contains("app -> zccache: 0 compilations, 0 hits, 0 misses, 0 non-cacheable, 50 up to date, saved 0.0 s of compile time",
            same.Output);
        Assert.Contains("zccache: up to date src/s07.c", same.Output);
        Assert.All(stamps, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));

        // The header touched (same bytes): its includers are checked again (and hit); the rest stay up to date.
        File.SetLastWriteTimeUtc(_ws["app/inc/common.h"], DateTime.UtcNow.AddMinutes(-1));
        var (touched, tj) = BuildWithJournal();
        Assert.Equal((10L, 0L, 40L), (touched.Stats!.Hits, touched.Stats.Misses, touched.Stats.UpToDate));
        Assert.Equal(Includers, Sources(tj, "hit"));
        Thread.Sleep(2100);

        // Its content edited: exactly its includers miss.
        _ws.Write("app/inc/common.h", "#define COMMON 8\n");
        File.SetLastWriteTimeUtc(_ws["app/inc/common.h"], DateTime.UtcNow.AddMinutes(-1));
        var (edited, ej) = BuildWithJournal();
        Assert.Equal((0L, 10L, 40L), (edited.Stats!.Hits, edited.Stats.Misses, edited.Stats.UpToDate));
        Assert.Equal(Includers, Sources(ej, "miss"));

        // A deleted object comes back from the cache; a new header that shadows common.h (in an include folder searched
        // before inc/) makes its includers compile again.
        File.Delete(_ws["app/obj/Debug/net10.0/zccache/src/s30.c.o"]);
        _ws.Write("app/override/common.h", "#define COMMON 9\n");
        var (shadowed, sj) = BuildWithJournal();
        Assert.Equal(["s30.c"], Sources(sj, "hit"));
        Assert.Equal(Includers, Sources(sj, "miss"));
        Assert.Equal(39L, shadowed.Stats!.UpToDate);
        File.Delete(_ws["app/override/common.h"]);

        // A changed option: nothing is up to date.
        Fifty(defines: "A=2");
        var (option, _) = BuildWithJournal();
        Assert.Equal((0L, 50L), (option.Stats!.UpToDate, option.Stats.Misses));
        Assert.NotEmpty(objects);
    }

    [Fact]
    public void On_linux_x64_the_build_runs_the_ReadyToRun_tasks_compiled_for_its_runtime()
    {
        Assert.True(OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64,
            "the package is packed with ReadyToRun tasks on linux-x64 only");
        _ws.Write("app/native/a.c", "int a(void) { return 1; }\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/*.c" /></ItemGroup>""");
        Assert.True(_ws.Build("app/app.csproj").Succeeded);
        var r = _ws.Build("app/app.csproj", "-v:d");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal(1L, r.Stats!.UpToDate);

        // The tasks, the session project's included, come from the folder for this runtime (the one the tests run on).
        string tasks = Path.Join(Path.GetDirectoryName(feed.Tools)!, "tasks");
        string readyToRun = Path.Join(tasks, $"linux-x64-net{Environment.Version.Major}");
        foreach (string task in new[] { "ZccacheStartSession", "ZccacheBeginProject", "ZccacheCompile", "ZccacheEndProject" })
            Assert.Matches($"Using \"{task}\" task from assembly \".*/tasks/linux-x64-net{Environment.Version.Major}/Zccache.MSBuild.dll\"",
                r.Output);

        // There the package's own assemblies carry native code for linux-x64; tasks/net8.0, loaded anywhere else, is IL only.
        foreach (string assembly in new[] { "Zccache.MSBuild.dll", "Zccache.Core.dll", "Zccache.Protocol.dll" })
        {
            Assert.Equal((true, LinuxX64ReadyToRun), NativeCode(Path.Join(readyToRun, assembly)));
            Assert.False(NativeCode(Path.Join(tasks, "net8.0", assembly)).ReadyToRun);
        }
        Assert.Equal(Directory.GetFiles(Path.Join(tasks, "net8.0")).Select(Path.GetFileName).Order(),
            Directory.GetFiles(readyToRun).Select(Path.GetFileName).Order());
    }

    /// <summary>The PE machine of a ReadyToRun image for Linux on x64 (AMD64 with the Linux bits crossgen2 sets).</summary>
    private const Machine LinuxX64ReadyToRun = (Machine)(0x8664 ^ 0x7B79);

    private static (bool ReadyToRun, Machine Machine) NativeCode(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        return (pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, pe.PEHeaders.CoffHeader.Machine);
    }

    [Fact]
    public void The_CI_summary_has_each_section_a_reviewer_reads()
    {
        _ws.Write("app/native/a.c", "int a(void) { return 1; }\n");
        _ws.Write("app/native/b.c", "int b(void) { return 2; }\n");
        _ws.Write("app/native/stamp.c", "const char *stamp(void) { return __TIME__; }\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/*.c" /></ItemGroup>""");
        Assert.True(_ws.Build("app/app.csproj").Succeeded);
        _ws.Write("app/native/b.c", "int b(void) { return 3; }\n");
        _ws.Delete("app/obj");
        string stepSummary = _ws.Write("step-summary.md", "");
        var r = _ws.Run(["build", "app/app.csproj"], new() { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = stepSummary });
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((3L, 1L, 1L, 1L), (r.Stats!.Compilations, r.Stats.Hits, r.Stats.Misses, r.Stats.NonCacheable));
        string md = File.ReadAllText(stepSummary);

        // The chart: a Mermaid pie whose slices are the counts.
        var pie = Regex.Match(md, "```mermaid\npie showData title Sources\n(?<slices>(?:    \"[^\"]+\" : \\d+\n)+)```");
        Assert.True(pie.Success, md);
        var slices = Regex.Matches(pie.Groups["slices"].Value, "\"(?<label>[^\"]+)\" : (?<n>\\d+)")
            .ToDictionary(m => m.Groups["label"].Value, m => int.Parse(m.Groups["n"].Value));
        Assert.Equal(new Dictionary<string, int> { ["hits"] = 1, ["misses"] = 1, ["non-cacheable"] = 1 }, slices);

        // The totals row, the reasons with counts, the slowest misses.
        Assert.Equal(["**total**", "3", "1", "1", "1", "0", "0", "50.0%"], Table(md, "| | compilations")[0][..8]);
        var reasons = Table(md, "| outcome | reason | count |").ToDictionary(row => (row[0], row[1]), row => int.Parse(row[2]));
        Assert.Equal(new Dictionary<(string, string), int> { [("miss", "input_changed")] = 1, [("non_cacheable", "time_macros")] = 1 },
            reasons);
        var slowest = Table(md, "| source | reason | compile time |");
        Assert.Equal(_ws["app/native/b.c"], Assert.Single(slowest)[0]);
        Assert.Equal("input_changed", slowest[0][1]);
    }

    /// <summary>The rows of the Markdown table whose header line starts with <paramref name="header"/>, as cells.</summary>
    private static List<string[]> Table(string md, string header)
    {
        var lines = md.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith(header, StringComparison.Ordinal));
        Assert.True(at >= 0, $"no table '{header}' in:\n{md}");
        return [.. lines.Skip(at + 2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Trim('|').Split(" | ").Select(c => c.Trim()).ToArray())];
    }
}
