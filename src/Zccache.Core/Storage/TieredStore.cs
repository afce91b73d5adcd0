using Zccache.Core.Diagnostics;
using Zccache.Core.Storage.Remote;

namespace Zccache.Core.Storage;

/// <summary>
/// The cache as one store: the local store, then the remote behind it. What the remote gives is verified and backfilled
/// into the local store (later lookups are local); a miss's result is written to both, to the remote unless it is read-only.
/// </summary>
public sealed class TieredStore(LocalStore local, RemoteStore? remote)
{
    public CacheLayout Layout => local.Layout;

    /// <summary>
    /// The context's results, a tier at a time, each asked for only when the one before served nothing: the local
    /// manifest's, then the remote manifest's that the local one lacks (added to it first). Empty when a tier has none.
    /// Throws <see cref="CorruptEntryException"/> for a manifest that does not verify.
    /// </summary>
    public IEnumerable<(IReadOnlyList<ManifestResult> Results, bool FromRemote)> Results(string contextKey)
    {
        Manifest? manifest = local.ReadManifest(contextKey);
        yield return (manifest?.Results ?? [], false);
        if (RemoteManifest(contextKey) is not { } shared) yield break;
        var tried = manifest?.Results.Select(r => r.ArtifactKey).ToHashSet() ?? [];
        var fresh = shared.Results.Where(r => !tried.Contains(r.ArtifactKey)).ToList();
        if (fresh.Count > 0) local.AddToManifest(contextKey, fresh);
        yield return (fresh, true);
    }

    /// <summary>
    /// The verified entry of <paramref name="artifactKey"/>, or null; from the remote when the local store has none
    /// (backfilled first: the local store verifies it). Throws <see cref="CorruptEntryException"/> for one that does not verify.
    /// </summary>
    public (CacheEntry? Entry, bool FromRemote) Read(string artifactKey)
    {
        if (local.Read(artifactKey) is { } entry) return (entry, false);
        if (RemoteEntry(artifactKey) is not { } fetched) return (null, false);
        local.Publish(artifactKey, fetched);
        return local.Read(artifactKey) is { } backfilled ? (backfilled, true) : (null, false);
    }

    public void Remove(string artifactKey) => local.Remove(artifactKey);

    /// <summary>
    /// Stores an entry and adds its result to the context's manifest, here and on a writable remote (the manifest as
    /// merged here). False when another publisher got the local entry there first.
    /// </summary>
    public bool Publish(string contextKey, ManifestResult result, CacheEntry entry)
    {
        bool published = local.Publish(result.ArtifactKey, entry);
        Manifest merged = local.AddToManifest(contextKey, result);
        if (remote is { ReadOnly: false })
        {
            remote.Put(RemoteNamespace.Entry, result.ArtifactKey, EntryBundle.Pack(result.ArtifactKey, entry));
            remote.Put(RemoteNamespace.Manifest, contextKey, EntryBundle.Compress(merged.ToBytes(contextKey)));
        }
        return published;
    }

    /// <summary>Shares the remote's failures with the session's other processes (see <see cref="RemoteStore.JoinSession"/>).</summary>
    public void JoinSession(string sessionFolder) => remote?.JoinSession(sessionFolder);

    /// <summary>The remote's failure as a ZC1008 warning, once per process; null otherwise.</summary>
    public Diagnostic? TakeRemoteFailure() => remote?.TakeFailureDiagnostic();

    /// <summary>
    /// The remote's manifest of <paramref name="contextKey"/>, or null. A value that does not verify
    /// or describes another context is refused (<see cref="CorruptEntryException"/>): never used, never backfilled.
    /// </summary>
    private Manifest? RemoteManifest(string contextKey)
    {
        if (remote?.Get(RemoteNamespace.Manifest, contextKey) is not { } blob) return null;
        string? corruption = "does not decompress";
        Manifest? manifest = EntryBundle.Decompress(blob) is { } bytes ? Manifest.FromBytes(bytes, contextKey, out corruption) : null;
        return manifest ?? (corruption is null ? null : throw RemoteCorrupt("manifest", contextKey, corruption));
    }

    /// <summary>The remote's entry of <paramref name="artifactKey"/>, or null; refused as <see cref="RemoteManifest"/> is.</summary>
    private CacheEntry? RemoteEntry(string artifactKey)
    {
        if (remote?.Get(RemoteNamespace.Entry, artifactKey) is not { } bundle) return null;
        return EntryBundle.Unpack(bundle, artifactKey, out string? corruption)
            ?? (corruption is null ? null : throw RemoteCorrupt("entry", artifactKey, corruption));
    }

    // The next miss overwrites the value on the remote (unless read-only): the remote heals too.
    private static CorruptEntryException RemoteCorrupt(string kind, string key, string why) =>
        new($"the remote cache's {kind} {key} is corrupt ({why}) and was refused");
}
