using Zccache.Core.Sessions;

namespace Zccache.Core.Tests;

/// <summary>The sessions a resident server holds: joined once, let go when ended, idle or their build is gone.</summary>
public class SessionManagerTests
{
    [Fact]
    public void Session_id_displays_as_uuid()
    {
        string text = SessionId.New().ToString();
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
        var id = SessionId.New();
        mgr.Join(id, 1234);
        Assert.Equal(1, mgr.ActiveCount);
        Assert.Equal(1234, mgr.End(id)!.ClientPid);
        Assert.Equal(0, mgr.ActiveCount);
    }

    [Fact]
    public void End_of_unknown_session_returns_null() =>
        Assert.Null(new SessionManager(TimeSpan.FromSeconds(900)).End(SessionId.New()));

    [Fact]
    public void Touch_of_unknown_session_returns_false() =>
        Assert.False(new SessionManager(TimeSpan.FromSeconds(900)).Touch(SessionId.New()));

    [Fact]
    public void Cleanup_expired_removes_idle_sessions()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var mgr = new SessionManager(TimeSpan.FromSeconds(1), clock);
        mgr.Join(SessionId.New(), 1234);
        clock.Advance(TimeSpan.FromSeconds(10));
        var expired = mgr.CleanupExpired();
        Assert.Single(expired);
        Assert.Equal(1234, expired[0].ClientPid);
        Assert.Equal(0, mgr.ActiveCount);
    }

    [Fact]
    public void Cleanup_expired_keeps_touched_sessions()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var mgr = new SessionManager(TimeSpan.FromSeconds(900), clock);
        var id = SessionId.New();
        mgr.Join(id, 1234);
        clock.Advance(TimeSpan.FromSeconds(600));
        Assert.True(mgr.Touch(id));
        clock.Advance(TimeSpan.FromSeconds(600));
        Assert.Empty(mgr.CleanupExpired());
        Assert.Equal(1, mgr.ActiveCount);
        clock.Advance(TimeSpan.FromSeconds(301));
        Assert.Single(mgr.CleanupExpired());
    }

    [Fact]
    public void Cleanup_dead_pids_removes_only_dead_owners()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        mgr.Join(SessionId.New(), 100);
        mgr.Join(SessionId.New(), 200);
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
        SessionId a = SessionId.New(), b = SessionId.New();
        mgr.Join(a, 1);
        mgr.Join(b, 1);
        Assert.True(mgr.Exists(a));
        Assert.False(mgr.Exists(SessionId.New()));
        Assert.Equal(new[] { a, b }.OrderBy(x => x.ToString()), mgr.ActiveIds().OrderBy(x => x.ToString()));
    }

    [Fact]
    public void Concurrent_joins_lose_nothing()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        Parallel.For(0, 4, _ => { for (int i = 0; i < 25; i++) mgr.Join(SessionId.New(), 1); });
        Assert.Equal(100, mgr.ActiveCount);
    }

    [Fact]
    public void Joining_a_held_session_keeps_its_owner()
    {
        var mgr = new SessionManager(TimeSpan.FromSeconds(900));
        var id = SessionId.New();
        mgr.Join(id, 1);
        mgr.Join(id, 2);
        Assert.Equal(1, mgr.ActiveCount);
        Assert.Equal(1, mgr.End(id)!.ClientPid);
    }

    [Theory]
    [InlineData("/tmp/journal.json")]
    [InlineData("/tmp/journal")]
    [InlineData("/tmp/journal.jsonl.bak")]
    public void Journal_path_must_end_in_jsonl(string path)
    {
        Assert.Equal($"the journal path '{path}' must end in .jsonl (one JSON object per line).", Journal.PathProblem(path));
        Assert.Null(Journal.PathProblem(path + ".JSONL"));
    }
}
