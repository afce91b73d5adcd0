using System.Text.Json.Serialization;
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
}
