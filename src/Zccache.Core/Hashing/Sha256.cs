using System.Security.Cryptography;

namespace Zccache.Core.Hashing;

/// <summary>
/// The engine's one SHA-256 (file contents, entry digests, keys). The platform's (OpenSSL on
/// Linux) is the fastest per byte but costs about 12 ms to initialise in each process: nothing
/// in MSBuild's long-lived process, most of a launcher hit's budget. So a launcher installs a
/// managed implementation at start-up instead; the digests are the same.
/// </summary>
public static class Sha256
{
    /// <summary>A SHA-256 computed piece by piece.</summary>
    public abstract class Incremental : IDisposable
    {
        public abstract void Append(ReadOnlySpan<byte> data);
        public abstract byte[] Finish();

        public void Dispose()
        {
            Dispose(disposing: true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing) { }
    }

    /// <summary>Where digests come from: set at start-up (see <see cref="PreferPlatform"/> for the one later change).</summary>
    public static Func<Incremental> Implementation { get; set; } = () => new Platform();

    /// <summary>
    /// Data at least this large is hashed by the platform even where <see cref="Implementation"/> is managed: its one-time
    /// start-up (~12 ms) is less than what it saves (OpenSSL with SHA extensions hashes about ten times faster).
    /// </summary>
    public const int PlatformThreshold = 4 << 20;

    // On Linux the platform's digest is OpenSSL's, and a process that finds no libssl is aborted by .NET, beyond any
    // catch: a launcher that installed the managed digest looks for the library before it takes that path.
    private static readonly Lazy<bool> PlatformUsable = new(() => !OperatingSystem.IsLinux()
        || new[] { "libssl.so.3", "libssl.so.1.1", "libssl.so" }.Any(name =>
            System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out _)));

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        using var h = data.Length >= PlatformThreshold && PlatformUsable.Value ? new Platform() : Implementation();
        h.Append(data);
        return h.Finish();
    }

    public static Incremental Create() => Implementation();

    /// <summary>
    /// For a long-lived process that started with the managed digest (the resident server is the engine's binary): the
    /// platform's from now on, where it loads. Its start-up is paid once; every hit's digests then cost a tenth.
    /// </summary>
    public static void PreferPlatform()
    {
        if (!PlatformUsable.Value) return;
        Implementation = () => new Platform();
        _ = Hash([]); // its start-up now, not in the first call served
    }

    private sealed class Platform : Incremental
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);
        public override byte[] Finish() => _hash.GetHashAndReset();
        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
