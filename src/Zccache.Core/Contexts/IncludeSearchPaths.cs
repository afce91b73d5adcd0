using Zccache.Core.Paths;

namespace Zccache.Core.Contexts;

/// <summary>
/// The include directories of a compile, in the order the preprocessor searches them:
/// quote (<c>-iquote</c>), user (<c>-I</c>), system (<c>-isystem</c>), after (<c>-idirafter</c>).
/// Order inside each list is kept: it decides which of two same-named headers wins.
/// </summary>
public sealed record IncludeSearchPaths
{
    public List<NormalizedPath> Quote { get; init; } = [];
    public List<NormalizedPath> User { get; init; } = [];
    public List<NormalizedPath> System { get; init; } = [];
    public List<NormalizedPath> After { get; init; } = [];

    /// <summary>Every directory in search order (quote-only directories first).</summary>
    public IEnumerable<NormalizedPath> InSearchOrder() => Quote.Concat(User).Concat(System).Concat(After);

    public bool Equals(IncludeSearchPaths? other) =>
        other is not null && Quote.SequenceEqual(other.Quote) && User.SequenceEqual(other.User)
        && System.SequenceEqual(other.System) && After.SequenceEqual(other.After);

    public override int GetHashCode() => HashCode.Combine(Quote.Count, User.Count, System.Count, After.Count);
}
