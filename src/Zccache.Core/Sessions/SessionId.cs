namespace Zccache.Core.Sessions;

/// <summary>A session's identity: a random (version 4) UUID, written in the 8-4-4-4-12 form.</summary>
public readonly record struct SessionId(Guid Value)
{
    public static SessionId New() => new(Guid.NewGuid());

    public static SessionId Parse(string text) =>
        TryParse(text, out var id) ? id
        : throw new FormatException($"'{text}' is not a session id (a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e).");

    public static bool TryParse(string? text, out SessionId id)
    {
        bool ok = Guid.TryParseExact(text?.Trim(), "D", out Guid guid) && guid != Guid.Empty;
        id = ok ? new SessionId(guid) : default;
        return ok;
    }

    public override string ToString() => Value.ToString("D");
}
