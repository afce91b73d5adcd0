namespace Zccache.Core.Hashing;

/// <summary>A SHA-256 digest, shown as lowercase hex. Used for file contents, entry digests and keys.</summary>
public readonly record struct ContentHash(string Hex)
{
    public static ContentHash Of(ReadOnlySpan<byte> data) => new(Hashing.Hex.Lower(Sha256.Hash(data)));

    public static bool IsValidHex(string? text) =>
        text is { Length: 64 } && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public override string ToString() => Hex;
}
