namespace Zccache.Core.Hashing;

/// <summary>HMAC-SHA256 (RFC 2104) over the engine's <see cref="Sha256"/>,
/// so a launcher signs without the platform's crypto start-up.</summary>
public static class Hmac
{
    private const int BlockSize = 64;

    public static byte[] Sha256Of(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message)
    {
        byte[] k = new byte[BlockSize];
        (key.Length > BlockSize ? Sha256.Hash(key) : key).CopyTo(k);
        byte[] inner = new byte[BlockSize + message.Length];
        byte[] outer = new byte[BlockSize + 32];
        for (int i = 0; i < BlockSize; i++)
        {
            inner[i] = (byte)(k[i] ^ 0x36);
            outer[i] = (byte)(k[i] ^ 0x5c);
        }
        message.CopyTo(inner.AsSpan(BlockSize));
        Sha256.Hash(inner).CopyTo(outer.AsSpan(BlockSize));
        return Sha256.Hash(outer);
    }
}
