using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Zccache.Core.Storage;

/// <summary>
/// The session files (session.json, final.json, project markers, outcome lines, retired.jsonl) and the stats file, written
/// with <see cref="Utf8JsonWriter"/> and read with <see cref="JsonDocument"/>, not the serializer: the serializer's
/// metadata for these types is generic code over them that no ReadyToRun image holds, so every build JIT-compiled about
/// 300 methods of it at its start and end (bench/README, "The package's own cost in a no-change build").
/// </summary>
public static class JsonText
{
    /// <summary>One JSON object: <paramref name="body"/> writes its members.</summary>
    public static byte[] WriteObject(Action<Utf8JsonWriter> body, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The file's object read by <paramref name="read"/>, or null when it is missing, unreadable or not that object.</summary>
    public static T? TryReadFile<T>(string path, Func<JsonElement, T?> read) where T : class
    {
        if (!File.Exists(path)) return null; // the usual absence costs no exception (final.json before the session ends)
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        return TryParse(bytes, read);
    }

    /// <summary>One JSON object (a file, a line) read by <paramref name="read"/>, or null when it is not that object.</summary>
    public static T? TryParse<T>(ReadOnlySpan<byte> json, Func<JsonElement, T?> read) where T : class
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? read(doc.RootElement) : null;
        }
        // Not JSON, a member of the wrong type, a number out of range, a value the type refuses: not that object.
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { return null; }
    }

    /// <summary>One JSON object as text (a line of a .jsonl file).</summary>
    public static T? TryParse<T>(string json, Func<JsonElement, T?> read) where T : class => TryParse(Encoding.UTF8.GetBytes(json), read);

    /// <summary>A string member; null when absent or null.</summary>
    public static string? OptionalString(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetString() : null;

    /// <summary>A whole-number member; <paramref name="absent"/> when absent or null.</summary>
    public static long OptionalLong(this JsonElement e, string name, long absent = 0) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetInt64() : absent;

    /// <summary>A whole-number member that fits an int; <paramref name="absent"/> when absent or null.</summary>
    public static int OptionalInt(this JsonElement e, string name, int absent = 0) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetInt32() : absent;

    /// <summary>A true/false member; false when absent or null.</summary>
    public static bool OptionalBool(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null && v.GetBoolean();

    /// <summary>A date member (ISO 8601); null when absent or null.</summary>
    public static DateTimeOffset? OptionalDate(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetDateTimeOffset() : null;
}
