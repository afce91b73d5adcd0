using System.IO.Compression;
using System.Text;
using Microsoft.Build.Execution;
using Microsoft.Build.Framework;
using Microsoft.Build.Logging;
using Zccache.Testing;

namespace Zccache.OlderMSBuild.Tests;

public sealed class OlderEngineTests
{
    [Fact]
    public void The_packed_tasks_run_in_MSBuild_17_7()
    {
        using var feed = PackageFeed.For("msbuild17");
        string root = Path.Join(feed.Root, "project");
        string package = Path.Join(feed.Root, "package");
        ZipFile.ExtractToDirectory(Path.Join(feed.Feed, $"Zccache.MSBuild.{feed.Version}.nupkg"), package);
        Directory.CreateDirectory(Path.Join(root, "src"));
        File.WriteAllText(Path.Join(root, "src", "a.c"), "int a(void) { return 1; }\n");
        File.WriteAllText(Path.Join(root, "src", "b.cpp"), "#include <string>\nstd::string b() { return \"b\"; }\n");
        // A project without the .NET SDK: the package's props and targets around the targets they hook.
        File.WriteAllText(Path.Join(root, "app.proj"), $"""
            <Project>
              <!-- Without the SDK's Microsoft.Common.tasks, the MSBuild task must be declared. -->
              <UsingTask TaskName="Microsoft.Build.Tasks.MSBuild" AssemblyName="Microsoft.Build.Tasks.Core, Version=15.1.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a" />
              <Import Project="{package}/build/Zccache.MSBuild.props" />
              <PropertyGroup>
                <IntermediateOutputPath>obj/</IntermediateOutputPath>
                <ZccacheCacheDir>{root}/cache</ZccacheCacheDir>
                <ZccacheStatsFile>{root}/stats.json</ZccacheStatsFile>
              </PropertyGroup>
              <ItemGroup><ClCompile Include="src/*.c;src/*.cpp" /></ItemGroup>
              <Target Name="BeforeBuild" />
              <Target Name="CoreCompile" />
              <Target Name="Build" DependsOnTargets="BeforeBuild;CoreCompile" />
              <Import Project="{package}/build/Zccache.MSBuild.targets" />
            </Project>
            """);

        var first = Build(root);
        Assert.True(first.Ok, first.Log);
        Assert.Contains("zccache: 2 compilations, 0 hits, 2 misses", first.Log);
        Directory.Delete(Path.Join(root, "obj"), recursive: true);
        var second = Build(root);
        Assert.True(second.Ok, second.Log);
        Assert.Contains("zccache: 2 compilations, 2 hits, 0 misses", second.Log);
        Assert.True(File.Exists(Path.Join(root, "obj", "zccache", "src", "b.cpp.o")));
        Assert.Equal(2, Stats.Read(Path.Join(root, "stats.json")).Hits);
        Assert.StartsWith("17.7.", FileVersion());
    }

    private static string FileVersion() =>
        System.Diagnostics.FileVersionInfo.GetVersionInfo(typeof(BuildManager).Assembly.Location).FileVersion ?? "";

    private static (bool Ok, string Log) Build(string root)
    {
        var log = new StringBuilder();
        var logger = new ConsoleLogger(LoggerVerbosity.Normal, s => { lock (log) log.Append(s); }, _ => { }, () => { });
        using var manager = new BuildManager();
        var parameters = new BuildParameters { Loggers = [logger], MaxNodeCount = 1, EnableNodeReuse = false, DisableInProcNode = false };
        var request = new BuildRequestData(Path.Join(root, "app.proj"), new Dictionary<string, string?>(), null, ["Build"], null);
        var result = manager.Build(parameters, request);
        return (result.OverallResult == BuildResultCode.Success, log.ToString());
    }
}
