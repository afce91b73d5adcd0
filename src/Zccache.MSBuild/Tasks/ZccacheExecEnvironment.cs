using System.Collections.Concurrent;
using Microsoft.Build.Framework;
using Names = Zccache.Core.Configuration.ZccacheSettings.Names;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// Gives the tools a project runs through Exec (cargo, cmake, make, compilers) the build's
/// session: sets ZCCACHE_SESSION_ID, ZCCACHE_CACHE_DIR, ZCCACHE_PROJECT, RUSTC_WRAPPER and
/// CMAKE_C/CXX_COMPILER_LAUNCHER in this node's environment while the project builds
/// (<c>Restore</c> puts back what was there). A variable the user has set is left alone, unless the package's
/// property for it says otherwise (see <see cref="FromProperty"/>). Exec
/// passes the process environment on, and its EnvironmentVariables parameter still wins.
/// With ZccacheEnabled=false, <c>Disable</c> sets ZCCACHE_DISABLE=1 instead, which ZccacheExec
/// and the launcher honour.
/// </summary>
public sealed class ZccacheExecEnvironment : ZccacheTask
{
    /// <summary><c>Set</c> or <c>Disable</c> at the project's start, <c>Restore</c> at its end
    /// (see <see cref="ExecEnvironmentAction"/>).</summary>
    [Required] public string Action { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    public string GlobalProperties { get; set; } = "";
    public string SessionId { get; set; } = "";
    /// <summary>ZccacheRemote and ZccacheRemoteReadOnly, handed on as ZCCACHE_REMOTE and ZCCACHE_REMOTE_READ_ONLY.</summary>
    public string Remote { get; set; } = "";
    public string RemoteReadOnly { get; set; } = "";
    /// <summary>ZccacheCacheSize, handed on as ZCCACHE_CACHE_SIZE (the budget a launcher's stores keep to); empty: not set.</summary>
    public string CacheSize { get; set; } = "";
    /// <summary>ZccacheBaseDir, handed on as ZCCACHE_BASEDIR; empty: not set.</summary>
    public string BaseDir { get; set; } = "";
    /// <summary>ZccachePrefixCommand, handed on as ZCCACHE_PREFIX_COMMAND; empty: not set.</summary>
    public string PrefixCommand { get; set; } = "";
    /// <summary>The launcher (<c>$(ZccacheLauncher)</c>); empty: no RUSTC_WRAPPER or CMake launchers.</summary>
    public string Launcher { get; set; } = "";

    /// <summary>Marks ZCCACHE_SESSION_ID as set by us, so evaluation does not take it for an explicit session.</summary>
    public const string InjectedMarker = "ZCCACHE_SESSION_INJECTED";

    // What this node set, and what each project instance found before it set it.
    private static readonly ConcurrentDictionary<string, string> Ours = new();
    private static readonly ConcurrentDictionary<string, Dictionary<string, string?>> Saved = new();

    /// <summary>What <see cref="Action"/> asks for, parsed once.</summary>
    private enum ExecEnvironmentAction { Set, Disable, Restore }

    private string InstanceKey => Core.Sessions.BuildScope.InstanceKey(ProjectFile, GlobalProperties);

    public override bool Execute()
    {
        if (!Enum.TryParse(Action.Trim(), ignoreCase: true, out ExecEnvironmentAction action) || !Enum.IsDefined(action))
        {
            Log.LogError(null, Core.Diagnostics.ZcCodes.BadProperty, null, null, 0, 0, 0, 0,
                "ZccacheExecEnvironment's Action '{0}' is not Set, Disable or Restore.", Action);
            return false;
        }
        if (action == ExecEnvironmentAction.Restore)
        {
            if (Saved.TryRemove(InstanceKey, out var previous))
                foreach (var (name, value) in previous) Environment.SetEnvironmentVariable(name, value);
            return true;
        }
        if (action == ExecEnvironmentAction.Disable)
        {
            SetWhereNotTheUsers([(Names.Disable, "1")]);
            return true;
        }

        var wanted = new List<(string, string)>
        {
            (Names.SessionId, SessionId),
            (Names.CacheDir, CacheRoot),
            (Names.Project, ProjectFile),
        };
        if (!string.IsNullOrWhiteSpace(CacheSize)) wanted.Add((Names.CacheSize, CacheSize));
        if (!string.IsNullOrWhiteSpace(BaseDir)) wanted.Add((Names.BaseDir, Path.GetFullPath(BaseDir)));
        if (!string.IsNullOrWhiteSpace(PrefixCommand)) wanted.Add((Names.PrefixCommand, PrefixCommand));
        if (!string.IsNullOrWhiteSpace(Remote)) wanted.Add((Names.Remote, Remote));
        if (!string.IsNullOrWhiteSpace(RemoteReadOnly)) wanted.Add((Names.RemoteReadOnly, RemoteReadOnly));
        if (!string.IsNullOrEmpty(Launcher) && File.Exists(Launcher))
        {
            MakeExecutable(Launcher);
            // The native launcher's engine beside it (see the package's tools/linux-x64).
            string engine = Path.Join(Path.GetDirectoryName(Launcher)!, "zccache-engine");
            if (File.Exists(engine)) MakeExecutable(engine);
            wanted.Add(("RUSTC_WRAPPER", Launcher));
            wanted.Add(("CMAKE_C_COMPILER_LAUNCHER", Launcher));
            wanted.Add(("CMAKE_CXX_COMPILER_LAUNCHER", Launcher));
        }

        SetWhereNotTheUsers(wanted);
        return true;
    }

    /// <summary>
    /// Variables whose property defaults to the variable (ZccacheCacheDir to ZCCACHE_CACHE_DIR, …): the property already
    /// holds the user's choice, so it is handed on even over an inherited value — a property set apart from the
    /// environment wins for Exec'd tools as it does for ClCompile.
    /// </summary>
    private static readonly HashSet<string> FromProperty =
        [Names.CacheDir, Names.CacheSize, Names.BaseDir, Names.PrefixCommand, Names.Remote, Names.RemoteReadOnly];

    private void SetWhereNotTheUsers(List<(string Name, string Value)> wanted)
    {
        var previousValues = new Dictionary<string, string?>();
        foreach (var (name, value) in wanted)
        {
            string? current = Environment.GetEnvironmentVariable(name);
            bool usersOwn = !string.IsNullOrEmpty(current) && !(Ours.TryGetValue(name, out string? mine) && mine == current);
            if (usersOwn && !FromProperty.Contains(name)) continue;
            previousValues[name] = current;
            Environment.SetEnvironmentVariable(name, value);
            Ours[name] = value;
            if (name == Names.SessionId)
            {
                previousValues[InjectedMarker] = Environment.GetEnvironmentVariable(InjectedMarker);
                Environment.SetEnvironmentVariable(InjectedMarker, value);
            }
        }
        Saved[InstanceKey] = previousValues;
    }

    /// <summary>
    /// NuGet does not keep file modes: the launcher arrives without its execute bits. Whoever may
    /// read it may run it (0644 becomes 0755), so other users of a shared packages folder can too.
    /// </summary>
    private void MakeExecutable(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = UnixFileMode.None;
        try
        {
            mode = File.GetUnixFileMode(path);
            var wanted = mode
                | ((mode & UnixFileMode.UserRead) != 0 ? UnixFileMode.UserExecute : 0)
                | ((mode & UnixFileMode.GroupRead) != 0 ? UnixFileMode.GroupExecute : 0)
                | ((mode & UnixFileMode.OtherRead) != 0 ? UnixFileMode.OtherExecute : 0);
            if (wanted != mode) File.SetUnixFileMode(path, wanted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another user's file that we can run anyway is fine as it is.
            if ((mode & UnixFileMode.UserExecute) == 0 && (mode & UnixFileMode.OtherExecute) == 0)
                Warn(Core.Diagnostics.ZcCodes.LauncherUnusable,
                    $"the launcher '{path}' cannot be made executable ({e.Message}); cargo and CMake run uncached.");
        }
    }
}
