using Zccache.MSBuild.Tasks;

namespace Zccache.MSBuild.Tests;

/// <summary>
/// What ZccacheExecEnvironment puts in this node's environment for the tools a project runs, and what it puts back.
/// Each test names its own projects: the task keeps what it saved per project instance for the whole process.
/// </summary>
public sealed class ExecEnvironmentTests : IDisposable
{
    private static readonly string[] Variables =
    [
        "ZCCACHE_SESSION_ID", ZccacheExecEnvironment.InjectedMarker, "ZCCACHE_CACHE_DIR", "ZCCACHE_PROJECT", "ZCCACHE_CACHE_SIZE",
        "ZCCACHE_BASEDIR", "ZCCACHE_PREFIX_COMMAND", "ZCCACHE_REMOTE", "ZCCACHE_REMOTE_READ_ONLY", "RUSTC_WRAPPER",
        "CMAKE_C_COMPILER_LAUNCHER", "CMAKE_CXX_COMPILER_LAUNCHER", "ZCCACHE_DISABLE",
    ];

    private readonly TempDir _dir = new();
    private readonly string _project = "/p/" + Guid.NewGuid().ToString("N") + ".csproj";

    public ExecEnvironmentTests()
    {
        foreach (string name in Variables) Environment.SetEnvironmentVariable(name, null);
    }

    public void Dispose()
    {
        foreach (string name in Variables) Environment.SetEnvironmentVariable(name, null);
        _dir.Dispose();
    }

    private static Dictionary<string, string?> Now() => Variables.ToDictionary(n => n, Environment.GetEnvironmentVariable);

    private ZccacheExecEnvironment Task(string action, string? project = null, string globalProperties = "") => new()
    {
        BuildEngine = new FakeBuildEngine(),
        Action = action,
        ProjectFile = project ?? _project,
        GlobalProperties = globalProperties,
        SessionId = "s1",
        CacheDir = _dir["cache"],
    };

    [Fact]
    public void Set_hands_the_session_on_and_Restore_takes_it_all_back()
    {
        string launcher = _dir.Write("tools/zccache", "#!/bin/sh\n");
        string engine = _dir.Write("tools/zccache-engine", "");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(engine, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var set = Task("Set");
        (set.CacheSize, set.BaseDir, set.PrefixCommand, set.Remote, set.RemoteReadOnly, set.Launcher) = ("2G", "/base/./dir", "distcc",
            "redis://h:1", "true", launcher);

        Assert.True(set.Execute());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["ZCCACHE_SESSION_ID"] = "s1", [ZccacheExecEnvironment.InjectedMarker] = "s1", ["ZCCACHE_CACHE_DIR"] = _dir["cache"],
            ["ZCCACHE_PROJECT"] = _project, ["ZCCACHE_CACHE_SIZE"] = "2G", ["ZCCACHE_BASEDIR"] = "/base/dir",
            ["ZCCACHE_PREFIX_COMMAND"] = "distcc",
            ["ZCCACHE_REMOTE"] = "redis://h:1", ["ZCCACHE_REMOTE_READ_ONLY"] = "true", ["RUSTC_WRAPPER"] = launcher,
            ["CMAKE_C_COMPILER_LAUNCHER"] = launcher, ["CMAKE_CXX_COMPILER_LAUNCHER"] = launcher, ["ZCCACHE_DISABLE"] = null,
        }, Now());
        // NuGet drops the execute bits: whoever may read the launcher and its engine may run them.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(launcher));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(engine));

        Assert.True(Task("Restore").Execute());
        Assert.All(Now(), v => Assert.Null(v.Value));
    }

    [Fact]
    public void Without_a_launcher_file_no_wrapper_or_CMake_launcher_is_set()
    {
        var set = Task("Set");
        set.Launcher = _dir["tools/missing"];
        Assert.True(set.Execute());
        Assert.Equal([null, null, null],
            new[] { "RUSTC_WRAPPER", "CMAKE_C_COMPILER_LAUNCHER",
                "CMAKE_CXX_COMPILER_LAUNCHER" }.Select(Environment.GetEnvironmentVariable));
        Assert.Equal("s1", Environment.GetEnvironmentVariable("ZCCACHE_SESSION_ID"));
    }

    [Fact]
    public void The_users_variables_are_left_alone_except_those_a_property_already_holds()
    {
        Environment.SetEnvironmentVariable("ZCCACHE_SESSION_ID", "theirs");
        Environment.SetEnvironmentVariable("ZCCACHE_PROJECT", "their.proj");
        Environment.SetEnvironmentVariable("ZCCACHE_CACHE_DIR", "/their/cache"); // ZccacheCacheDir defaults to it: the property wins

        Assert.True(Task("Set").Execute());
        Assert.Equal(("theirs", null, "their.proj", _dir["cache"]), (Environment.GetEnvironmentVariable("ZCCACHE_SESSION_ID"),
            Environment.GetEnvironmentVariable(ZccacheExecEnvironment.InjectedMarker),
            Environment.GetEnvironmentVariable("ZCCACHE_PROJECT"),
            Environment.GetEnvironmentVariable("ZCCACHE_CACHE_DIR")));

        Assert.True(Task("Restore").Execute());
        Assert.Equal(("theirs", "their.proj", "/their/cache"), (Environment.GetEnvironmentVariable("ZCCACHE_SESSION_ID"),
            Environment.GetEnvironmentVariable("ZCCACHE_PROJECT"), Environment.GetEnvironmentVariable("ZCCACHE_CACHE_DIR")));
    }

    [Fact]
    public void A_project_built_inside_another_replaces_its_values_and_each_Restore_puts_back_what_it_found()
    {
        string inner = "/p/" + Guid.NewGuid().ToString("N") + ".csproj";
        Assert.True(Task("Set").Execute());
        Assert.True(Task("Set", inner).Execute()); // the outer project's values are ours, not the user's: replaced
        Assert.Equal(inner, Environment.GetEnvironmentVariable("ZCCACHE_PROJECT"));
        // The same project with other global properties (another target framework) is another instance.
        Assert.True(Task("Set", inner, "TargetFramework=net8.0").Execute());
        Assert.True(Task("Restore", inner, "TargetFramework=net8.0").Execute());
        Assert.Equal(inner, Environment.GetEnvironmentVariable("ZCCACHE_PROJECT"));

        Assert.True(Task("Restore", inner).Execute());
        Assert.Equal(_project, Environment.GetEnvironmentVariable("ZCCACHE_PROJECT"));
        Assert.True(Task("Restore").Execute());
        Assert.Null(Environment.GetEnvironmentVariable("ZCCACHE_PROJECT"));
        // A second Restore (or one with no Set before it) changes nothing.
        Environment.SetEnvironmentVariable("ZCCACHE_PROJECT", "later.proj");
        Assert.True(Task("Restore").Execute());
        Assert.Equal("later.proj", Environment.GetEnvironmentVariable("ZCCACHE_PROJECT"));
    }

    [Fact]
    public void Disable_sets_ZCCACHE_DISABLE_unless_the_user_set_it_and_Restore_removes_it()
    {
        Assert.True(Task("Disable").Execute());
        Assert.Equal("1", Environment.GetEnvironmentVariable("ZCCACHE_DISABLE"));
        Assert.Null(Environment.GetEnvironmentVariable("ZCCACHE_SESSION_ID"));
        Assert.True(Task("Restore").Execute());
        Assert.Null(Environment.GetEnvironmentVariable("ZCCACHE_DISABLE"));

        Environment.SetEnvironmentVariable("ZCCACHE_DISABLE", "0");
        Assert.True(Task("Disable").Execute());
        Assert.Equal("0", Environment.GetEnvironmentVariable("ZCCACHE_DISABLE"));
        Assert.True(Task("Restore").Execute());
        Assert.Equal("0", Environment.GetEnvironmentVariable("ZCCACHE_DISABLE"));
    }

    [Fact]
    public void An_unknown_action_is_a_ZC2002_error_and_changes_nothing()
    {
        var task = Task("Sett");
        Assert.False(task.Execute());
        var error = Assert.Single(((FakeBuildEngine)task.BuildEngine).Errors);
        Assert.Equal("ZC2002", error.Code);
        Assert.Contains("'Sett'", error.Message);
        Assert.All(Now(), v => Assert.Null(v.Value));
    }
}
