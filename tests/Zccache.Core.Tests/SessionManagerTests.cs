using Zccache.Core.Contexts;
using Zccache.Core.Paths;
using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>The seed's session tests, and more.</summary>
public class SessionManagerTests
{
    private static SessionConfig Config(int pid = 1234, bool stats = false) => new()
    {
        ClientPid = pid,
        WorkingDir = "/home/user/project",
        TrackStats = stats,
    };

    private static CompileContext MainC() => new() { SourceFile = NormalizedPath.From("/src/main.c") };

    [Fact]
    public void Create_returns_unique_ids()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        Assert.NotEqual(mgr.Create(Config()), mgr.Create(Config()));
    }

    [Fact]
    public void Session_id_displays_as_uuid()
    {
        var id = new SessionManager(TimeSpan.FromSeconds(900)).Create(Config());
        string text = id.ToString();
        Assert.Equal(36, text.Length);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", text);
    }

    [Fact]
    public void Session_id_round_trips()
    {
        var id = SessionId.New();
        Assert.Equal(id, SessionId.Parse(id.ToString()));
        Assert.False(SessionId.TryParse("not-a-uuid", out _));
        Assert.False(SessionId.TryParse(Guid.Empty.ToString(), out _));
        Assert.Throws<FormatException>(() => SessionId.Parse("nope"));
    }

    [Fact]
    public void End_removes_the_session()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = mgr.Create(Config());
        Assert.Equal(1, mgr.ActiveCount);
        Assert.Equal(1234, mgr.End(id)!.ClientPid);
        Assert.Equal(0, mgr.ActiveCount);
    }

    [Fact]
    public void End_of_unknown_session_returns_null() =>
        Assert.Null(new SessionManager(TimeSpan.FromSeconds(900)).End(SessionId.New()));

    [Fact]
    public void Touch_updates_activity()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var mgr = new SessionManager(TimeSpan.FromSeconds(900), clock);
        var id = mgr.Create(Config());
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(mgr.Touch(id));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(5), mgr.Get(id)!.LastActivity);
        Assert.False(mgr.Touch(SessionId.New()));
    }

    [Fact]
    public void Add_context_counts_each_key_once()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = mgr.Create(Config());
        var key = MainC().ContextKey();
        Assert.True(mgr.AddContext(id, key));
        Assert.Equal(1, mgr.ContextCount(id));
        Assert.True(mgr.AddContext(id, key));
        Assert.Equal(1, mgr.ContextCount(id));
        Assert.True(mgr.AddContext(id, (MainC() with { Defines = ["X"] }).ContextKey()));
        Assert.Equal(2, mgr.ContextCount(id));
    }

    [Fact]
    public void Add_context_to_unknown_session_returns_false()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        Assert.False(mgr.AddContext(SessionId.New(), MainC().ContextKey()));
        Assert.Null(mgr.ContextCount(SessionId.New()));
        Assert.Null(mgr.WorkingDir(SessionId.New()));
    }

    [Fact]
    public void Cleanup_expired_removes_idle_sessions()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var mgr = new SessionManager(TimeSpan.FromSeconds(1), clock);
        mgr.Create(Config());
        clock.Advance(TimeSpan.FromSeconds(10));
        var expired = mgr.CleanupExpired();
        Assert.Single(expired);
        Assert.Equal(1234, expired[0].ClientPid);
        Assert.Equal(0, mgr.ActiveCount);
    }

    [Fact]
    public void Cleanup_expired_keeps_active_sessions()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var mgr = new SessionManager(TimeSpan.FromSeconds(900), clock);
        var id = mgr.Create(Config());
        clock.Advance(TimeSpan.FromSeconds(600));
        mgr.Touch(id);
        clock.Advance(TimeSpan.FromSeconds(600));
        Assert.Empty(mgr.CleanupExpired());
        Assert.Equal(1, mgr.ActiveCount);
    }

    [Fact]
    public void Cleanup_dead_pids_removes_only_dead_owners()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        mgr.Create(Config(pid: 100));
        mgr.Create(Config(pid: 200));
        var dead = mgr.CleanupDeadPids(pid => pid != 100);
        Assert.Single(dead);
        Assert.Equal(100, dead[0].ClientPid);
        Assert.Equal(1, mgr.ActiveCount);
    }

    [Fact]
    public void Is_process_alive_knows_this_process()
    {
        Assert.True(SessionManager.IsProcessAlive(Environment.ProcessId));
        Assert.False(SessionManager.IsProcessAlive(-5));
    }

    [Fact]
    public void Exists_and_active_ids()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var a = mgr.Create(Config());
        var b = mgr.Create(Config());
        Assert.True(mgr.Exists(a));
        Assert.False(mgr.Exists(SessionId.New()));
        Assert.Equal(new[] { a, b }.OrderBy(x => x.ToString()), mgr.ActiveIds().OrderBy(x => x.ToString()));
    }

    [Fact]
    public void Concurrent_creation_loses_nothing()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        Parallel.For(0, 4, _ => { for (int i = 0; i < 25; i++) mgr.Create(Config()); });
        Assert.Equal(100, mgr.ActiveCount);
    }

    [Fact]
    public void Concurrent_contexts_on_one_session_lose_nothing()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = mgr.Create(Config());
        Parallel.For(0, 200, i => mgr.AddContext(id, (MainC() with { Defines = [$"N={i}"] }).ContextKey()));
        Assert.Equal(200, mgr.ContextCount(id));
    }

    [Fact]
    public void Create_with_a_known_id_joins_it()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = SessionId.New();
        Assert.Equal(id, mgr.Create(Config(pid: 1), id));
        Assert.Equal(id, mgr.Create(Config(pid: 2), id));
        Assert.Equal(1, mgr.ActiveCount);
        Assert.Equal(1, mgr.Get(id)!.ClientPid);
    }

    [Fact]
    public void Mutate_and_working_dir()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = mgr.Create(Config(stats: true));
        Assert.True(mgr.Mutate(id, s => s.StatsTracker!.RecordNonCacheable()));
        Assert.False(mgr.Mutate(SessionId.New(), _ => { }));
        Assert.Equal(1, mgr.Get(id)!.StatsTracker!.NonCacheable);
        Assert.Equal("/home/user/project", mgr.WorkingDir(id)!.Value.Value);
    }

    [Fact]
    public void Get_returns_a_snapshot_not_the_live_session()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = mgr.Create(Config(stats: true));
        var snapshot = mgr.Get(id)!;
        snapshot.ContextKeys.Add(MainC().ContextKey());
        snapshot.StatsTracker!.RecordNonCacheable();
        Assert.Equal(0, mgr.ContextCount(id));
        Assert.Equal(0, mgr.Get(id)!.StatsTracker!.Compilations);
    }

    [Fact]
    public void Stats_tracking_is_opt_in()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        Assert.NotNull(mgr.Get(mgr.Create(Config(stats: true)))!.StatsTracker);
        Assert.Null(mgr.Get(mgr.Create(Config(stats: false)))!.StatsTracker);
    }

    [Fact]
    public void Config_keeps_every_field()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = mgr.Create(Config() with
        {
            LogFile = "/tmp/zc.log",
            JournalPath = "/tmp/j.jsonl",
            Profile = true,
            PrivateEnv = [new("A", "1")],
            OwnerPids = [7, 8],
        });
        var s = mgr.Get(id)!;
        Assert.Equal("/tmp/zc.log", s.LogFile!.Value.Value);
        Assert.Equal("/tmp/j.jsonl", s.JournalPath!.Value.Value);
        Assert.True(s.Profile);
        Assert.Equal("1", s.PrivateEnv.Single(e => e.Key == "A").Value);
        Assert.Equal(new[] { 7, 8 }, s.OwnerPids);
    }

    [Theory]
    [InlineData("/tmp/journal.json")]
    [InlineData("/tmp/journal")]
    [InlineData("/tmp/journal.jsonl.bak")]
    public void Journal_path_must_end_in_jsonl(string path)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new SessionManager(TimeSpan.FromSeconds(1)).Create(Config() with { JournalPath = path }));
        Assert.Contains("ZC2003", e.Message);
        Assert.Contains(".jsonl", e.Message);
    }
}
