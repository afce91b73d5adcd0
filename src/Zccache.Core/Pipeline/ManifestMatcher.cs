using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Core.Pipeline;

/// <summary>What a lookup found: the result whose inputs still hold and its entry (a hit), or why none did (a miss).</summary>
internal sealed record ManifestMatch(ManifestResult? Result, CacheEntry? Entry, bool FromRemote, MissReason Reason, string? ChangedInput)
{
    public bool IsHit => Entry is not null;

    public static ManifestMatch Hit(ManifestResult result, CacheEntry entry, bool fromRemote) =>
        new(result, entry, fromRemote, default, null);

    public static ManifestMatch Miss(MissReason reason, string? changedInput = null) => new(null, null, false, reason, changedInput);
}

/// <summary>
/// Direct mode's lookup of one compile: the first recorded result of its context whose inputs still hold (same stamp,
/// or same content), that no new file shadows, and whose entry is there and may be replayed; else why none was.
/// </summary>
internal sealed class ManifestMatcher(TieredStore store, CacheableCompile compile, CompileInvocation invocation, InputSnapshot inputs)
{
    /// <summary>The store's results, tier by tier (local, then remote), until one matches.</summary>
    public ManifestMatch Match(string contextKey)
    {
        ManifestMatch? miss = null;
        foreach (var (results, fromRemote) in store.Results(contextKey))
        {
            var match = Match(results, fromRemote);
            if (match.IsHit) return match;
            miss ??= results.Count > 0 ? match : null; // the local manifest explains a miss best; without one, the remote's
        }
        return miss ?? ManifestMatch.Miss(MissReason.ContextNotFound);
    }

    /// <summary>The first of <paramref name="results"/> whose inputs still hold and whose entry can be served; else why none did.</summary>
    public ManifestMatch Match(IReadOnlyList<ManifestResult> results, bool fromRemote)
    {
        MissReason reason = results.Count == 0 ? MissReason.ContextNotFound : MissReason.InputChanged;
        string? changed = null;
        foreach (ManifestResult result in results)
        {
            var differs = result.Dependencies.FirstOrDefault(d => !((d.Stamp is { } stamp && inputs.StillHas(compile.Here(d.Path), stamp))
                || CurrentDigest(compile.Here(d.Path)) == d.Sha256));
            if (differs is not null)
            {
                changed ??= compile.Here(differs.Path); // the newest result's first changed input explains the miss best
                continue;
            }
            if (result.Absent.Any(g =>
                g.Names.Any(n => inputs.Exists(compile.Here(g.Directory), n)))) { reason = MissReason.IncludeShadowed; continue; }
            var (entry, remoteEntry) = store.Read(result.ArtifactKey);
            if (entry is null) { reason = MissReason.NoArtifactForKey; continue; }
            if (entry.ExitCode != 0 && !compile.FailedRunListsEveryInput) continue; // a failure an earlier version stored: never replayed
            bool complete = compile.Outputs.All(o => entry.Output(o.Name) is not null);
            if (entry.ExitCode == 0 && !complete) { store.Remove(result.ArtifactKey); reason = MissReason.NoArtifactForKey; continue; }
            return ManifestMatch.Hit(result, entry, remoteEntry || fromRemote);
        }
        return ManifestMatch.Miss(reason, reason == MissReason.InputChanged ? changed : null);
    }

    /// <summary>A recorded dependency's digest now: a file's content hash,
    /// or a variable's (see <see cref="EnvironmentDependency"/>).</summary>
    private string? CurrentDigest(string dependency) => EnvironmentDependency.Is(dependency)
        ? EnvironmentDependency.CurrentDigest(dependency, invocation)
        : inputs.Get(dependency)?.Hash.Hex;
}
