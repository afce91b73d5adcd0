using Org.BouncyCastle.Crypto.Digests;
using Zccache.Core.Hashing;

namespace Zccache.Cli;

/// <summary>BouncyCastle's managed SHA-256: no OpenSSL initialisation in a process that lives for one compile.</summary>
internal sealed class ManagedSha256 : Sha256.Incremental
{
    private readonly Sha256Digest _digest = new();

    public override void Append(ReadOnlySpan<byte> data) => _digest.BlockUpdate(data);

    public override byte[] Finish()
    {
        byte[] result = new byte[_digest.GetDigestSize()];
        _digest.DoFinal(result, 0);
        return result;
    }
}
