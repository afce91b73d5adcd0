using Zccache.Core.Hashing;

namespace Zccache.Core.Storage;

/// <summary>Where everything lives under the cache root. Keys become paths only here, and only after validation.</summary>
public sealed class CacheLayout
{
    public const string FormatVersion = "v1";

    public CacheLayout(string root)
    {
        Root = Path.GetFullPath(root);
        Store = Path.Join(Root, FormatVersion);
    }

    public string Root { get; }
    public string Store { get; }
    public string Entries => Path.Join(Store, "entries");
    public string Manifests => Path.Join(Store, "manifests");
    public string Staging => Path.Join(Store, "staging");
    /// <summary>Compiler identities memoised by file stamp (see <see cref="Compilers.CompilerIdentity"/>).</summary>
    public string Tools => Path.Join(Store, "tools");
    public string Sessions => Path.Join(Root, "sessions");
    /// <summary>Size and count counters per shard, each also the shard's lock (see <see cref="CacheShards"/>).</summary>
    public string Counters => Path.Join(Store, "counters");

    public string EntryDir(string artifactKey) => Path.Join(Entries, Checked(artifactKey)[..2], artifactKey);
    public string ManifestFile(string contextKey) => Path.Join(Manifests, Checked(contextKey)[..2], contextKey + ".manifest");

    /// <summary>The cache root to use: the property, else ZCCACHE_CACHE_DIR, else the platform's user cache folder.</summary>
    public static string DefaultRoot(string? configured = null) =>
        Protocol.CacheRoot.Resolve(Environment.GetEnvironmentVariable, Environment.CurrentDirectory, configured);

    private static string Checked(string key) =>
        ContentHash.IsValidHex(key) ? key : throw new InvalidDataException($"not a cache key: '{key}'");

    /// <summary>
    /// Creates the root (owner-only) and the store folders: owner-only whatever the umask, and made
    /// so again when they are not (a folder another user can write is one they can plant entries in).
    /// A store folder that has become a file is replaced.
    /// </summary>
    public void EnsureCreated()
    {
        AtomicFile.CreateFolder(Root);
        foreach (string dir in new[] { Store, Entries, Manifests, Staging, Counters, Sessions })
        {
            LocalStore.EnsureFolder(dir);
            if (OperatingSystem.IsWindows()) continue;
            if ((File.GetUnixFileMode(dir) & ~AtomicFile.OwnerOnlyFolder) != 0) File.SetUnixFileMode(dir, AtomicFile.OwnerOnlyFolder);
        }
    }

    /// <summary>True when users other than the owner can write in the root (it
    /// existed so, or was made so): they could replace the store.</summary>
    public bool RootIsOpenToOthers() =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(Root) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
}
