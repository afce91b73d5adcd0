using System.Text.Json;
using System.Text.Json.Serialization;

namespace Zccache.Core.Storage;

/// <summary>A dependency the compiler reported, with the content hash it had when the entry was made.</summary>
public sealed record RecordedDependency([property: JsonPropertyName("path")] string Path, [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>
/// One way a context was compiled before: the dependencies it read, the paths that must still not
/// exist (they would shadow a dependency), and the entry it produced.
/// </summary>
public sealed record ManifestResult(
    [property: JsonPropertyName("artifact")] string ArtifactKey,
    [property: JsonPropertyName("dependencies")] List<RecordedDependency> Dependencies)
{
    [JsonPropertyName("absent")] public List<string> Absent { get; init; } = [];
}

/// <summary>
/// Direct mode's index: for a context key, the results seen so far, newest first. A lookup takes
/// the first whose dependencies all still hash the same.
/// </summary>
public sealed record Manifest([property: JsonPropertyName("results")] List<ManifestResult> Results)
{
    public const int MaxResults = 16;

    public Manifest With(ManifestResult result) =>
        new([result, .. Results.Where(r => r.ArtifactKey != result.ArtifactKey).Take(MaxResults - 1)]);

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>Null when the bytes are not a manifest (a corrupt one is treated as absent).</summary>
    public static Manifest? FromBytes(byte[] bytes)
    {
        try
        {
            var m = JsonSerializer.Deserialize<Manifest>(bytes);
            return m?.Results is null || m.Results.Any(r => r is null || r.Dependencies is null) ? null : m;
        }
        catch (JsonException) { return null; }
    }
}
