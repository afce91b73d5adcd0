global using Zccache.Testing;

namespace Zccache.EndToEnd.Tests;

[CollectionDefinition(Name)]
public sealed class BuildCollection : ICollectionFixture<PackageFeed>
{
    // One collection: the builds run one after another (2 cores) and share one packed feed.
    public const string Name = "real dotnet builds";
}
