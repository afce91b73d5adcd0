using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Zccache.Core.Sessions;

namespace Zccache.Core.Storage;

/// <summary>
/// Source-generated JSON for the session files. (The hit path itself uses no JSON: the serializer's
/// first use in a process costs tens of milliseconds.)
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(CompileOutcome))]
[JsonSerializable(typeof(SessionInfo))]
[JsonSerializable(typeof(FinalizedSessionStats))]
[JsonSerializable(typeof(ProjectMarker))]
internal sealed partial class CoreJson : JsonSerializerContext
{
    /// <summary>The same types, indented, for files people read (session.json, final.json, the stats file).</summary>
    public static CoreJson Indented { get; } = new(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    /// <summary>The file's value, or null when it is missing, unreadable or not valid JSON of that type.</summary>
    public static T? TryRead<T>(string path, JsonTypeInfo<T> type) where T : class
    {
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(path), type); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }
}
