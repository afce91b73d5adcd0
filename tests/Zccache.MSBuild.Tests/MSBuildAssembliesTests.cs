using System.Diagnostics;
using Microsoft.Build.Framework;

namespace Zccache.MSBuild.Tests;

public sealed class MSBuildAssembliesTests
{
    /// <summary>The tests run against the MSBuild assemblies the tasks compile against, copied beside them, not whatever the SDK carries.</summary>
    [Theory]
    [InlineData(typeof(ITaskItem), "17.11.")]
    [InlineData(typeof(Microsoft.Build.Utilities.Task), "17.11.")]
    [InlineData(typeof(Microsoft.Build.Tasks.Exec), "17.7.")]
    public void The_MSBuild_assemblies_are_the_referenced_ones_copied_local(Type type, string version)
    {
        string location = type.Assembly.Location;
        Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.GetDirectoryName(location));
        Assert.StartsWith(version, FileVersionInfo.GetVersionInfo(location).FileVersion);
    }
}
