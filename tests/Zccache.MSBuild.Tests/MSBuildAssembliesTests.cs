using System.Diagnostics;
using Microsoft.Build.Framework;

namespace Zccache.MSBuild.Tests;

public sealed class MSBuildAssembliesTests
{
    /// <summary>
    /// The tasks run on one MSBuild, copied beside the tests (the .NET SDK 10's line), not on a mix: its Framework,
    /// Utilities and Tasks must be of one version, as they are in the MSBuild that loads the package.
    /// </summary>
    [Fact]
    public void The_MSBuild_assemblies_are_one_version_copied_local()
    {
        var locations = new[] { typeof(ITaskItem), typeof(Microsoft.Build.Utilities.Task), typeof(Microsoft.Build.Tasks.Exec) }
            .Select(t => t.Assembly.Location).ToList();
        Assert.All(locations, l => Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.GetDirectoryName(l)));
        string version = Assert.Single(locations.Select(l => FileVersionInfo.GetVersionInfo(l).FileVersion).Distinct())!;
        Assert.StartsWith("18.0.", version);
    }
}
