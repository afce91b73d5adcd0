namespace Zccache.Core.Storage.Remote;

/// <summary>What a remote value is. On the wire, a value's name is its namespace's
/// letter then its key (<c>m&lt;key&gt;</c>, <c>e&lt;key&gt;</c>).</summary>
public enum RemoteNamespace
{
    /// <summary>A context's manifest, compressed, under its context key.</summary>
    Manifest,
    /// <summary>An <see cref="EntryBundle"/>, under its artifact key.</summary>
    Entry,
}
