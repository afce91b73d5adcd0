namespace Zccache.Core.Sessions;

/// <summary>A session a resident server holds open: the build process that owns it, and when it was last used.</summary>
public sealed class Session
{
    public required SessionId Id { get; init; }
    /// <summary>The build process the dead-man's switch watches.</summary>
    public required int ClientPid { get; init; }
    /// <summary>From the manager's clock.</summary>
    public DateTimeOffset LastActivity { get; set; }
}
