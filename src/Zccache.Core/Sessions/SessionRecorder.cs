namespace Zccache.Core.Sessions;

/// <summary>
/// Where a compile reports to: the session's folder on disk (what the session's end adds up) and, in the resident
/// server, its <see cref="SessionManager"/>, which holds the session open while compiles come.
/// </summary>
public sealed class SessionRecorder(SessionFolder folder, string? project, int parallelism = 1, SessionManager? manager = null)
{
    public SessionFolder Folder => folder;

    /// <summary>
    /// Joins session <paramref name="id"/> in this process, counting for <paramref name="project"/>, whose compiles run
    /// <paramref name="parallelism"/> at once (what a hit's saving is worth in wall time). Throws for a disk problem.
    /// </summary>
    public static SessionRecorder Join(Storage.CacheLayout layout, SessionId id, string? project, int parallelism = 1) =>
        new(new SessionFolder(layout, id), project, parallelism);

    /// <summary>
    /// Joins session <paramref name="id"/> in <paramref name="manager"/>, whose dead-man's switch watches <paramref name="clientPid"/>
    /// (a resident server passes the build's process that created the session).
    /// </summary>
    public static SessionRecorder Join(SessionManager manager, Storage.CacheLayout layout, SessionId id, string? project, int clientPid)
    {
        manager.Join(id, clientPid);
        return new SessionRecorder(new SessionFolder(layout, id), project, manager: manager);
    }

    /// <summary>Set when an outcome could not be written to the session folder (the build's counts will be short).</summary>
    public string? Fault { get; private set; }

    // The session's journal settings, read from its folder once.
    private SessionInfo? _info;
    private bool _infoRead;

    private SessionInfo? Info()
    {
        if (!_infoRead) { _info = folder.ReadInfo(); _infoRead = true; }
        return _info;
    }

    /// <summary>
    /// Where this process's outcomes go instead of its own file: the launcher's resident server, which then is the
    /// session's one writer. Given the outcome and its journal line (null: no journal); false when it did not take them.
    /// </summary>
    public Func<CompileOutcome, byte[]?, bool>? Forward { get; set; }

    /// <summary>Counts the outcome. Never throws for a disk problem: a session fault must not fail a compile.</summary>
    public void Record(CompileOutcome outcome)
    {
        outcome = outcome with { Project = project, Parallelism = Math.Max(1, parallelism) };
        try
        {
            byte[]? journalLine = Info() is { Journal: { Length: > 0 } } info ? Journal.Line(outcome, folder.Id.ToString(), info.Profile)
                : null;
            if (Forward?.Invoke(outcome, journalLine) == true)
            {
                Count(outcome);
                return;
            }
            RecordLines(outcome, journalLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Fault ??= e.Message; }
    }

    /// <summary>Counts an outcome and writes it, with its journal line (made by whoever ran the call), to the session's files.</summary>
    public void RecordLines(CompileOutcome outcome, byte[]? journalLine)
    {
        Count(outcome);
        try
        {
            folder.Append(outcome);
            if (journalLine is not null && Info() is { Journal: { Length: > 0 } journal }) Journal.Append(journal, journalLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Fault ??= e.Message; }
    }

    private void Count(CompileOutcome outcome)
    {
        manager?.Touch(folder.Id);
    }
}
