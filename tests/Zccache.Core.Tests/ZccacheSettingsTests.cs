using Zccache.Core.Configuration;
using Zccache.Core.Diagnostics;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;
using static Zccache.Core.Configuration.ZccacheSettings;

namespace Zccache.Core.Tests;

/// <summary>Each ZCCACHE_* setting: its default, a value that is used, and a value that is not.</summary>
public sealed class ZccacheSettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ZccacheSettings Settings(params (string Name, string Value)[] values) =>
        new(name => values.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault());

    [Fact]
    public void The_cache_size_is_the_disk_default_unless_set()
    {
        string root = _dir["cache"];
        Assert.Equal(CacheBudget.Default(root), Settings().CacheBudget(root));
        Assert.Equal(512L << 20, Settings((Names.CacheSize, "512M")).CacheBudget(root));
        Assert.Equal(20L << 30, Settings((Names.CacheSize, " 20GiB ")).CacheBudget(root));
        var e = Assert.Throws<FormatException>(() => Settings((Names.CacheSize, "big")).CacheBudget(root));
        Assert.Equal("'big' is not a cache size (examples: 20G, 512M, 1048576).", e.Message);
    }

    [Theory]
    [InlineData("", SessionRetention.DefaultKept)]
    [InlineData("7", 7)]
    [InlineData(" 0 ", 0)]
    public void The_number_of_sessions_kept_is_read_from_the_setting(string value, int kept) =>
        Assert.Equal(kept, Settings((Names.SessionsKept, value)).SessionsKept);

    [Theory]
    [InlineData("-1")]
    [InlineData("many")]
    public void A_number_of_sessions_kept_that_is_not_a_count_is_refused(string value)
    {
        var e = Assert.Throws<FormatException>(() => Settings((Names.SessionsKept, value)).SessionsKept);
        Assert.Equal($"'{value}' is not a number of sessions (examples: 50, 0).", e.Message);
    }

    [Fact]
    public void A_property_overrides_its_setting()
    {
        var settings = Settings((Names.SessionsKept, "7"), (Names.SessionId, "abc"));
        Assert.Equal(3, settings.With(Names.SessionsKept, "3").SessionsKept);
        Assert.Equal(3, settings.WithUnlessEmpty(Names.SessionsKept, "3").SessionsKept);
        Assert.Equal(7, settings.With(Names.CacheSize, "1G").SessionsKept);
        // Null overrides nothing; empty unsets with With (a property already defaulted from the setting), not with WithUnlessEmpty.
        Assert.Equal("abc", settings.With(Names.SessionId, null).SessionId);
        Assert.Null(settings.With(Names.SessionId, "").SessionId);
        Assert.Equal(SessionRetention.DefaultKept, settings.With(Names.SessionsKept, "").SessionsKept);
        Assert.Equal("abc", settings.WithUnlessEmpty(Names.SessionId, " ").SessionId);
        Assert.Equal(7, settings.WithUnlessEmpty(Names.SessionsKept, null).SessionsKept);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("0", false)]
    [InlineData("yes", false)]
    public void Zccache_is_disabled_by_1_or_true(string? value, bool disabled)
    {
        var settings = value is null ? Settings((Names.PrefixCommand, "distcc")) : Settings((Names.Disable, value), (Names.PrefixCommand, "distcc"));
        Assert.Equal(disabled, settings.Disabled);
        // Disabled, nothing of zccache runs: no prefix command either.
        Assert.Equal(disabled ? [] : ["distcc"], settings.PrefixCommand);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("1", false)]
    [InlineData("0", true)]
    [InlineData(" OFF ", true)]
    [InlineData("false", true)]
    [InlineData("no", true)]
    public void The_server_is_off_by_0_off_false_or_no(string? value, bool off) =>
        Assert.Equal(off, (value is null ? Settings() : Settings((Names.Server, value))).ServerOff);

    [Theory]
    [InlineData(null, 600)]
    [InlineData("30", 30)]
    [InlineData("0", 600)]
    [InlineData("-5", 600)]
    [InlineData("soon", 600)]
    public void The_server_idle_timeout_is_seconds_else_ten_minutes(string? value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), (value is null ? Settings() : Settings((Names.ServerIdleTimeout, value))).ServerIdleTimeout);

    [Fact]
    public void The_cache_dir_is_relative_to_the_working_directory_else_the_users_cache_folder()
    {
        Assert.Equal(Path.Join(_dir.Path, "c"), Settings((Names.CacheDir, "c")).CacheRoot(_dir.Path));
        Assert.Equal("/xdg/zccache", Settings(("XDG_CACHE_HOME", "/xdg")).CacheRoot(_dir.Path));
    }

    [Fact]
    public void The_base_dir_is_relative_to_the_working_directory()
    {
        Assert.Null(Settings().BaseDir(_dir.Path));
        Assert.Null(Settings((Names.BaseDir, "/")).BaseDir(_dir.Path));
        Assert.Equal(Path.Join(_dir.Path, "src"), Settings((Names.BaseDir, " src/ ")).BaseDir(_dir.Path)!.Root);
    }

    [Fact]
    public void The_session_project_and_ci_summary_are_null_when_blank()
    {
        Assert.Null(Settings((Names.SessionId, " ")).SessionId);
        Assert.Null(Settings((Names.Project, "")).Project);
        Assert.Null(Settings().CiSummary);
        Assert.Equal("abc", Settings((Names.SessionId, "abc")).SessionId);
        Assert.Equal("/p/a.vcxproj", Settings((Names.Project, "/p/a.vcxproj")).Project);
        Assert.Equal("false", Settings((Names.CiSummary, "false")).CiSummary);
    }

    [Fact]
    public void The_remote_is_none_unless_set_read_only_as_asked_and_refused_when_not_a_remote_url()
    {
        Assert.Null(Settings().Remote());
        var remote = Settings((Names.Remote, "http://127.0.0.1:1/cache"), (Names.RemoteReadOnly, "true")).Remote()!;
        Assert.Equal("http://127.0.0.1:1/cache", remote.Url);
        Assert.True(remote.ReadOnly);
        Assert.False(Settings((Names.Remote, "http://127.0.0.1:1/cache"), (Names.RemoteReadOnly, "0")).Remote()!.ReadOnly);
        var e = Assert.Throws<FormatException>(() => Settings((Names.Remote, "ftp://host/c")).Remote());
        Assert.Contains("is not a remote cache URL", e.Message);
    }

    [Fact]
    public void Calls_with_the_same_remote_settings_have_the_same_remote_key()
    {
        var a = new Dictionary<string, string> { ["PATH"] = "/bin", [Names.RemoteReadOnly] = "1", [Names.Remote] = "redis://h:1" };
        var b = new Dictionary<string, string> { [Names.Remote] = "redis://h:1", [Names.RemoteReadOnly] = "1", ["HOME"] = "/h" };
        Assert.Equal($"{Names.Remote}=redis://h:1\n{Names.RemoteReadOnly}=1", ZccacheSettings.RemoteKey(a));
        Assert.Equal(ZccacheSettings.RemoteKey(a), ZccacheSettings.RemoteKey(b));
        Assert.Equal("", ZccacheSettings.RemoteKey(new Dictionary<string, string> { ["PATH"] = "/bin" }));
    }

    [Fact]
    public void Opening_with_a_bad_remote_warns_and_goes_on_with_the_local_cache()
    {
        var said = new List<Diagnostic>();
        var cache = CacheOpening.Open(Settings((Names.Remote, "ftp://host/c")), _dir["cache"], said);
        Assert.True(cache.IsEnabled);
        var d = Assert.Single(said);
        Assert.Equal(ZcCodes.BadProperty, d.Code);
        Assert.False(d.IsError);
        Assert.StartsWith("ZCCACHE_REMOTE: ", d.Message);
        Assert.EndsWith(" Going on with the local cache only.", d.Message);
    }

    [Fact]
    public void The_budget_stores_keep_to_is_the_setting_or_else_the_default()
    {
        string root = _dir["cache"];
        Assert.Equal(64L << 20, CacheOpening.Budget(Settings((Names.CacheSize, "64M")), root).Value);
        Assert.Equal(CacheBudget.Default(root), CacheOpening.Budget(Settings(), root).Value);
        Assert.Equal(CacheBudget.Default(root), CacheOpening.Budget(Settings((Names.CacheSize, "big")), root).Value);
        var said = new List<Diagnostic>();
        CacheOpening.Open(Settings((Names.CacheSize, "big")), root, said);
        Assert.Empty(said); // said once per build by the session's start, not at every compile
    }

    [Fact]
    public void Opening_disabled_gives_a_cache_that_only_runs_compilers()
    {
        var said = new List<Diagnostic>();
        Assert.False(CacheOpening.Open(Settings((Names.Disable, "1")), _dir["cache"], said).IsEnabled);
        Assert.Empty(said);
    }

    [Fact]
    public void A_session_id_that_is_not_a_uuid_is_said_and_no_session_is_joined()
    {
        var said = new List<Diagnostic>();
        var layout = new CacheLayout(_dir["cache"]);
        Assert.Null(CacheOpening.JoinSession(Settings(), layout, said));
        Assert.Empty(said);
        Assert.Null(CacheOpening.JoinSession(Settings((Names.SessionId, "nope")), layout, said));
        Assert.Equal(ZcCodes.BadSessionId, Assert.Single(said).Code);
        Assert.Equal("ZCCACHE_SESSION_ID 'nope' is not a UUID; compiles are cached but not counted in a session.", said[0].Message);
    }

    [Fact]
    public void A_session_is_joined_for_the_project_the_settings_name()
    {
        var said = new List<Diagnostic>();
        var layout = new CacheLayout(_dir["cache"]);
        var id = SessionId.New();
        var session = CacheOpening.JoinSession(Settings((Names.SessionId, id.ToString()), (Names.Project, "/p/a.proj")), layout, said)!;
        Assert.Empty(said);
        Assert.Equal(id, session.Folder.Id);
    }
}
