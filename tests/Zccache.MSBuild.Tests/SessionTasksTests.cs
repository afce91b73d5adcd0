using Microsoft.Build.Framework;
using Zccache.MSBuild.Tasks;

namespace Zccache.MSBuild.Tests;

/// <summary>The tasks that tell project instances apart and carry a build's session from its start to its summary.</summary>
public sealed class SessionTasksTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Global_properties_give_the_names_to_remove_and_a_fingerprint_of_the_instance()
    {
        var task = new ZccacheGlobalProperties
        {
            BuildEngine = new FakeBuildEngine(new()
            {
                ["TargetFramework"] = "net8.0", ["Configuration"] = "Release",
                ["zccacheCacheDir"] = "/c"
            }),
            Keep = ["ZccacheCacheDir", "ZccacheSessionId"],
        };
        Assert.True(task.Execute());
        Assert.Equal("Configuration;TargetFramework", task.Names); // in order, the kept ones (any case) left out
        Assert.Equal("Configuration=Release\nTargetFramework=net8.0\nzccacheCacheDir=/c", task.Fingerprint);
    }

    [Fact]
    public void Without_global_properties_both_are_empty()
    {
        var task = new ZccacheGlobalProperties { BuildEngine = new FakeBuildEngine() };
        Assert.True(task.Execute());
        Assert.Equal(("", ""), (task.Names, task.Fingerprint));
    }

    [Fact]
    public void A_build_starts_a_session_counts_its_compiles_and_its_last_project_to_finish_writes_the_summary()
    {
        var engine = new FakeBuildEngine();
        var started = StartSession(engine);
        string session = started.ItemSpec;
        Assert.Equal("false", started.GetMetadata("Explicit"));
        Assert.True(Directory.Exists(Path.Join(_dir["cache"], "sessions", session)));

        T Project<T>(string name) where T : ZccacheProjectTask, new() => ProjectTask<T>(engine, started, name);
        Assert.True(Project<ZccacheBeginProject>("app").Execute());
        Assert.True(Project<ZccacheBeginProject>("lib").Execute());
        Assert.Single(engine.TaskObjects); // one end-of-build backstop per build and node

        _dir.Write("a.c", "int a(void) { return 1; }\n");
        var compile = new ZccacheExec
        {
            BuildEngine = engine, CacheDir = _dir["cache"], SessionId = session, ProjectFile = _dir["lib.csproj"],
            WorkingDirectory = _dir.Path,
            Command = "gcc -c a.c -o a.o",
        };
        Assert.True(compile.Execute());

        engine.Events.Clear();
        Assert.True(Project<ZccacheEndProject>("lib").Execute());
        Assert.Empty(engine.Events); // app has not finished: not the build's end
        Assert.True(Project<ZccacheEndProject>("app").Execute());
        Assert.Empty(engine.Warnings);
        // The summary on the entry project's result line, then a line per project that compiled.
        const string counts = "1 compilation, 0 hits, 1 miss, 0 non-cacheable (0.0% hit rate), saved 0.0 s of compile time (~0.0 s wall)";
        Assert.Equal([$"High app -> zccache: {counts}", $"Normal zccache:   lib.csproj: {counts}"],
            engine.Messages.Select(m => m.Importance + " " + m.Message));
        Assert.True(Project<ZccacheEndProject>("app").Execute()); // a project ending again: the summary is written once
        Assert.Equal(2, engine.Messages.Count());
    }

    [Fact]
    public void At_the_end_of_the_build_a_node_closes_the_files_it_kept_open_for_the_session()
    {
        var engine = new FakeBuildEngine();
        var started = StartSession(engine);
        string session = started.ItemSpec;
        string folder = Path.Join(_dir["cache"], "sessions", session);
        Assert.True(ProjectTask<ZccacheBeginProject>(engine, started, "lib").Execute());
        _dir.Write("a.c", "int a(void) { return 1; }\n");
        Assert.True(new ZccacheExec
        {
            BuildEngine = engine, CacheDir = _dir["cache"], SessionId = session, ProjectFile = _dir["lib.csproj"],
            WorkingDirectory = _dir.Path, Command = "gcc -c a.c -o a.o",
        }.Execute());
        Assert.Single(OpenFiles.Under(folder)); // the node's outcome file, kept open while the build runs

        engine.EndBuild(); // a reused node serves the next build: nothing of this one stays open
        Assert.Empty(OpenFiles.Under(folder));
    }

    /// <summary>The build's session, as the session project starts it: the id, with BuildId and Explicit metadata.</summary>
    private ITaskItem StartSession(FakeBuildEngine engine)
    {
        var start = new ZccacheStartSession { BuildEngine = engine, CacheDir = _dir["cache"] };
        Assert.True(start.Execute());
        return start.Session!;
    }

    /// <summary>A project's task in <paramref name="session"/>, for <c>name.csproj</c>.</summary>
    private T ProjectTask<T>(FakeBuildEngine engine, ITaskItem session, string name) where T : ZccacheProjectTask, new() => new()
    {
        BuildEngine = engine, CacheDir = _dir["cache"], SessionId = session.ItemSpec, BuildId = session.GetMetadata("BuildId"),
        ProjectFile = _dir[name + ".csproj"],
    };
}
