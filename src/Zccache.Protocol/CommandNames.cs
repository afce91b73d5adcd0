namespace Zccache.Protocol;

/// <summary>zccache's own commands: any other first argument is a compiler (the launcher form).</summary>
public static class CommandNames
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "session-start", "session-stats", "session-end", "status", "trim", "clear", "analyze",
        "server-start", "server-stop", "server-run", "--help", "-h", "help", "--version", Handover,
    };

    /// <summary>
    /// The thin launcher's hand-over to the engine: <c>zccache-engine --handover &lt;call id&gt; &lt;what happened&gt; &lt;args…&gt;</c>,
    /// after it tried the server (see <see cref="HandoverState"/>).
    /// </summary>
    public const string Handover = "--handover";
}

/// <summary>What the thin launcher's try with the server came to, when it hands a call over to the engine.</summary>
public enum HandoverState
{
    /// <summary>The server answered: not a hit. The engine does the call.</summary>
    NotServed,
    /// <summary>No server is running: the engine does the call and starts one for the next calls.</summary>
    NoServer,
    /// <summary>The server failed the call (gone mid-call, another protocol): the engine does it, with one warning.</summary>
    Failed,
}
