using Zccache.Core.Contexts;

namespace Zccache.Core.Sessions;

/// <summary>
/// Where a compile reports to: the in-process <see cref="SessionManager"/> (contexts, live
/// counters) and the session's folder on disk (what the session's end adds up).
/// </summary>
public sealed class SessionRecorder(SessionManager manager, SessionFolder folder, string? project)
{
    public SessionFolder Folder => folder;

    /// <summary>Set when an outcome could not be written to the session folder (the build's counts will be short).</summary>
    public string? Fault { get; private set; }

    public void AddContext(ContextKey key) => manager.AddContext(folder.Id, key);

    /// <summary>Counts the outcome. Never throws for a disk problem: a session fault must not fail a compile.</summary>
    public void Record(CompileOutcome outcome)
    {
        outcome = outcome with { Project = project };
        manager.Mutate(folder.Id, s =>
        {
            if (s.StatsTracker is { } tracker) outcome.ApplyTo(tracker);
        });
        manager.Touch(folder.Id);
        try { folder.Append(outcome); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Fault ??= e.Message; }
    }
}
