using System.Collections.Concurrent;
using System.Text.Json;
using Zccache.Core.Paths;
using Zccache.Core.Storage;

namespace Zccache.Core.Sessions;

/// <summary>
/// A session's folder under the cache root: what must outlive one process. Every process that
/// compiles for the session appends outcomes to its own file there; whoever ends the session
/// reads them all. Layout:
/// <code>
/// sessions/&lt;id&gt;/session.json          who created it, when
/// sessions/&lt;id&gt;/outcomes/&lt;pid&gt;-&lt;guid&gt;.jsonl  one file per writing process (a new one after CloseWriter)
/// sessions/&lt;id&gt;/final.json            the finalized stats, once ended
/// sessions/&lt;id&gt;/builds/&lt;build&gt;/       which projects of one dotnet build started and finished
/// </code>
/// </summary>
public sealed class SessionFolder
{
    private static readonly ConcurrentDictionary<string, OutcomeWriter> Writers = new();

    public SessionFolder(CacheLayout layout, SessionId id)
    {
        Id = id;
        Path = System.IO.Path.Join(layout.Sessions, id.ToString());
    }

    public SessionId Id { get; }
    public string Path { get; }
    private string InfoFile => System.IO.Path.Join(Path, "session.json");
    internal const string FinalFileName = "final.json";
    private string FinalFile => System.IO.Path.Join(Path, FinalFileName);
    private string OutcomesDir => System.IO.Path.Join(Path, "outcomes");

    public bool IsEnded => File.Exists(FinalFile);

    /// <summary>True when the session was ever started in this cache.</summary>
    public bool Exists => File.Exists(InfoFile);

    /// <summary>Creates the folder if it is not there yet (joining an existing session keeps its record).</summary>
    public SessionInfo EnsureCreated(int clientPid, bool isExplicit, string workingDir, string? journal = null, bool profile = false)
    {
        Directory.CreateDirectory(OutcomesDir);
        var info = new SessionInfo(Id.ToString(), DateTimeOffset.UtcNow, clientPid, isExplicit, workingDir, journal, profile);
        return AtomicFile.TryCreateNew(InfoFile, info.ToJson()) ? info : ReadInfo() ?? info;
    }

    public SessionInfo? ReadInfo() => JsonText.TryReadFile(InfoFile, SessionInfo.FromJson);

    /// <summary>Appends one outcome for this process. Thread-safe; each line is flushed as written.</summary>
    public void Append(CompileOutcome outcome)
    {
        // A writer closed (CloseWriter) between the lookup and the write takes nothing: the next lookup makes a new one.
        while (!Writers.GetOrAdd(Path, p => new OutcomeWriter(System.IO.Path.Join(p, "outcomes"))).TryWrite(outcome)) { }
    }

    /// <summary>
    /// Every outcome recorded by every process so far. Torn last lines (a writer killed mid-line) are skipped, and a
    /// launcher call recorded twice (by a server killed before it could answer, then by the launcher) counts once.
    /// </summary>
    public List<CompileOutcome> ReadOutcomes()
    {
        var all = new List<CompileOutcome>();
        var calls = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(OutcomesDir)) return all;
        foreach (string file in Directory.EnumerateFiles(OutcomesDir, "*.jsonl").Order(StringComparer.Ordinal))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
                if (line.Length > 0 && CompileOutcome.FromJsonLine(line) is { } o && (o.Call is null || calls.Add(o.Call))) all.Add(o);
        }
        return all;
    }

    /// <summary>The session's statistics so far: overall, per project, and its misses by reason.</summary>
    public Reporting.SessionReport Aggregate()
    {
        var outcomes = ReadOutcomes();
        var created = ReadInfo()?.CreatedUtc ?? DateTimeOffset.UtcNow;
        var duration = DateTimeOffset.UtcNow - created;
        var total = new SessionStatsTracker();
        var perProject = new Dictionary<string, SessionStatsTracker>(StringComparer.Ordinal);
        foreach (var o in outcomes)
        {
            o.ApplyTo(total);
            string project = o.Project ?? "(no project)";
            if (!perProject.TryGetValue(project, out var t)) perProject[project] = t = new SessionStatsTracker();
            o.ApplyTo(t);
        }
        // Sorted as a list of names: a sorted dictionary of strings is generic code no ReadyToRun image holds (bench/README).
        List<string> projects = [.. perProject.Keys];
        projects.Sort(StringComparer.Ordinal);
        return Reporting.SessionReport.Of(total.Finalize(Id, duration),
            [.. projects.Select(p => (p, perProject[p].Finalize(Id, duration)))], outcomes, RemoteFaults());
    }

    /// <summary>The remote caches that failed in this session, from the notes their
    /// failures left (see <see cref="Storage.Remote.RemoteStore.JoinSession"/>).</summary>
    public List<Reporting.RemoteFault> RemoteFaults()
    {
        var faults = new List<Reporting.RemoteFault>();
        if (!Directory.Exists(Path)) return faults;
        foreach (string note in Directory.EnumerateFiles(Path, Storage.Remote.RemoteStore.FailureNotePrefix + "*")
            .Order(StringComparer.Ordinal))
        {
            try
            {
                string[] lines = File.ReadAllLines(note);
                faults.Add(lines.Length >= 2 ? new(lines[0], lines[1]) : new("(remote)", lines.FirstOrDefault() ?? ""));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return faults;
    }

    /// <summary>
    /// Ends the session: the first caller writes the finalized stats (<paramref name="aggregated"/>
    /// when the caller has just added them up, else they are added up here); later callers (ending
    /// twice is harmless) get what was written.
    /// </summary>
    public FinalizedSessionStats End(FinalizedSessionStats? aggregated = null)
    {
        if (ReadFinal() is { } done) return done;
        var total = aggregated ?? Aggregate().Total;
        return AtomicFile.TryCreateNew(FinalFile, total.ToJson(indented: true)) ? total : ReadFinal() ?? total;
    }

    public FinalizedSessionStats? ReadFinal() => JsonText.TryReadFile(FinalFile, FinalizedSessionStats.FromJson);

    /// <summary>The latest write to the folder: its last activity, for the idle timeout.</summary>
    public DateTime LastActivityUtc()
    {
        var latest = Directory.GetLastWriteTimeUtc(Path);
        if (Directory.Exists(OutcomesDir))
            foreach (string f in Directory.EnumerateFiles(OutcomesDir))
                latest = new[] { latest, File.GetLastWriteTimeUtc(f) }.Max();
        return latest;
    }

    /// <summary>
    /// Ends the sessions in <paramref name="layout"/> that were abandoned: never ended, and either
    /// their creator is gone or they sat idle past <paramref name="idleTimeout"/>. Their data is kept.
    /// </summary>
    public static List<SessionFolder> ReapAbandoned(CacheLayout layout, TimeSpan idleTimeout, Func<int, bool> isAlive)
    {
        var reaped = new List<SessionFolder>();
        if (!Directory.Exists(layout.Sessions)) return reaped;
        foreach (string dir in Directory.EnumerateDirectories(layout.Sessions))
        {
            if (!SessionId.TryParse(System.IO.Path.GetFileName(dir), out var id)) continue;
            var folder = new SessionFolder(layout, id);
            if (folder.IsEnded || folder.ReadInfo() is not { } info) continue;
            bool idle = DateTime.UtcNow - folder.LastActivityUtc() > idleTimeout;
            bool ownerGone = !info.Explicit && !isAlive(info.ClientPid)
                && DateTime.UtcNow - folder.LastActivityUtc() > TimeSpan.FromMinutes(1);
            if (idle || ownerGone)
            {
                folder.End();
                reaped.Add(folder);
            }
        }
        return reaped;
    }

    /// <summary>
    /// Closes this process's outcome file for the session (a resident server or an MSBuild node done with it); a later
    /// outcome opens a new one.
    /// </summary>
    public void CloseWriter()
    {
        if (Writers.TryRemove(Path, out var writer)) writer.Dispose();
    }

    public BuildScope Build(string buildId) => new(System.IO.Path.Join(Path, "builds", buildId));

    /// <summary>This process's outcome file for one session, kept open; reopened if the folder was removed meanwhile.</summary>
    private sealed class OutcomeWriter(string dir) : IDisposable
    {
        public void Dispose()
        {
            lock (this) { _closed = true; _stream?.Dispose(); _stream = null; }
        }

        private FileStream? _stream;
        private string? _file;
        private bool _closed;

        /// <summary>Appends the line; false, writing nothing, once the writer is closed (it would open a file nobody closes).</summary>
        public bool TryWrite(CompileOutcome outcome)
        {
            byte[] line = outcome.ToJsonLine();
            lock (this)
            {
                if (_closed) return false;
                if (_stream is null || !File.Exists(_file))
                {
                    _stream?.Dispose();
                    Directory.CreateDirectory(dir);
                    _file = System.IO.Path.Join(dir, $"{Environment.ProcessId}-{Guid.NewGuid():N}.jsonl");
                    _stream = new FileStream(_file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                }
                _stream.Write(line);
                _stream.Flush();
            }
            return true;
        }
    }
}

/// <summary>The record of who created a session and when: <c>session.json</c>.</summary>
public sealed record SessionInfo(string Id, DateTimeOffset CreatedUtc, int ClientPid, bool Explicit, string WorkingDir,
    string? Journal = null, bool Profile = false)
{
    public byte[] ToJson() => JsonText.WriteObject(w =>
    {
        w.WriteString("id", Id);
        w.WriteString("created_utc", CreatedUtc);
        w.WriteNumber("client_pid", ClientPid);
        w.WriteBoolean("explicit", Explicit);
        w.WriteString("working_dir", WorkingDir);
        w.WriteString("journal", Journal);
        w.WriteBoolean("profile", Profile);
    }, indented: true);

    public static SessionInfo FromJson(JsonElement e) => new(e.OptionalString("id") ?? "", e.OptionalDate("created_utc") ?? default,
        e.OptionalInt("client_pid"), e.OptionalBool("explicit"), e.OptionalString("working_dir") ?? "", e.OptionalString("journal"),
        e.OptionalBool("profile"));
}
