using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Zccache.Core.Hashing;

namespace Zccache.Core.Storage;

/// <summary>A stored entry that failed verification; it has been removed.</summary>
public sealed class CorruptEntryException(string key, string why) : Exception($"cache entry {key} is corrupt ({why}) and was removed")
{
    public string Key { get; } = key;
}

/// <summary>
/// The content-addressed local store. An entry is a folder of files plus a <c>meta</c> file that
/// lists each file's size and SHA-256 and starts with the SHA-256 of its own JSON. Entries are
/// written to staging and published with one rename, so a reader sees all of an entry or none.
/// </summary>
public sealed class LocalStore(CacheLayout layout)
{
    private const string MetaFile = "meta";
    private static readonly string[] FileNames = ["object", "depfile", "stdout", "stderr"];

    public CacheLayout Layout { get; } = layout;

    // ---- manifests -------------------------------------------------------------------------

    public Manifest? ReadManifest(string contextKey)
    {
        string path = Layout.ManifestFile(contextKey);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        var manifest = Manifest.FromBytes(bytes);
        if (manifest is null) TryDelete(path);
        return manifest;
    }

    /// <summary>Adds a result to the context's manifest. Last writer wins; a lost update only costs a later miss.</summary>
    public void AddToManifest(string contextKey, ManifestResult result)
    {
        var manifest = (ReadManifest(contextKey) ?? new Manifest([])).With(result);
        AtomicFile.Write(Layout.ManifestFile(contextKey), manifest.ToBytes());
    }

    // ---- entries ---------------------------------------------------------------------------

    public bool Contains(string artifactKey) => File.Exists(Path.Join(Layout.EntryDir(artifactKey), MetaFile));

    /// <summary>The verified entry, or null when there is none. Throws <see cref="CorruptEntryException"/> after removing a corrupt one.</summary>
    public CacheEntry? Read(string artifactKey)
    {
        string dir = Layout.EntryDir(artifactKey);
        byte[] metaBytes;
        try { metaBytes = File.ReadAllBytes(Path.Join(dir, MetaFile)); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }

        EntryMeta meta = ParseMeta(metaBytes) ?? throw Corrupt(artifactKey, dir, "meta does not verify");
        var files = new Dictionary<string, byte[]>();
        foreach (var (name, info) in meta.Files)
        {
            if (!FileNames.Contains(name)) throw Corrupt(artifactKey, dir, $"unknown file {name}");
            byte[] data;
            try { data = File.ReadAllBytes(Path.Join(dir, name)); }
            catch (FileNotFoundException) { throw Corrupt(artifactKey, dir, $"{name} is missing"); }
            if (data.LongLength != info.Size || ContentHash.Of(data).Hex != info.Sha256)
                throw Corrupt(artifactKey, dir, $"{name} does not match its digest");
            files[name] = data;
        }
        return new CacheEntry
        {
            Object = files.GetValueOrDefault("object"),
            Depfile = files.GetValueOrDefault("depfile"),
            Stdout = files.GetValueOrDefault("stdout") ?? [],
            Stderr = files.GetValueOrDefault("stderr") ?? [],
            ExitCode = meta.ExitCode,
            CompileDurationNs = meta.DurationNs,
            ObjectPathInStore = files.ContainsKey("object") ? Path.Join(dir, "object") : null,
        };
    }

    /// <summary>
    /// Publishes an entry under <paramref name="artifactKey"/>. Returns false when another
    /// publisher got there first: the first complete publication wins and ours is discarded.
    /// </summary>
    public bool Publish(string artifactKey, CacheEntry entry)
    {
        string final = Layout.EntryDir(artifactKey);
        if (Directory.Exists(final)) return false;
        string staging = Path.Join(Layout.Staging, $"{artifactKey}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var files = new SortedDictionary<string, EntryFile>(StringComparer.Ordinal);
            void Put(string name, byte[]? data)
            {
                if (data is null) return;
                File.WriteAllBytes(Path.Join(staging, name), data);
                files[name] = new EntryFile(data.LongLength, ContentHash.Of(data).Hex);
            }
            Put("object", entry.Object);
            Put("depfile", entry.Depfile);
            Put("stdout", entry.Stdout);
            Put("stderr", entry.Stderr);
            var meta = new EntryMeta(entry.ExitCode, entry.CompileDurationNs, files);
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(meta);
            byte[] metaBytes = [.. Encoding.ASCII.GetBytes(ContentHash.Of(json).Hex + "\n"), .. json];
            using (var f = new FileStream(Path.Join(staging, MetaFile), FileMode.CreateNew))
            {
                f.Write(metaBytes);
                f.Flush(flushToDisk: true);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            try
            {
                Directory.Move(staging, final);
                return true;
            }
            catch (IOException) when (Directory.Exists(final))
            {
                return false; // someone else published this key first
            }
        }
        finally
        {
            if (Directory.Exists(staging)) TryDeleteDirectory(staging);
        }
    }

    public void Remove(string artifactKey) => TryDeleteDirectory(Layout.EntryDir(artifactKey));

    /// <summary>Removes staging leftovers of crashed publishers (older than an hour).</summary>
    public void CleanStaging(TimeSpan olderThan)
    {
        if (!Directory.Exists(Layout.Staging)) return;
        foreach (string dir in Directory.EnumerateDirectories(Layout.Staging))
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) > olderThan) TryDeleteDirectory(dir);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private CorruptEntryException Corrupt(string key, string dir, string why)
    {
        TryDeleteDirectory(dir);
        return new CorruptEntryException(key, why);
    }

    private static EntryMeta? ParseMeta(byte[] bytes)
    {
        int newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline != 64) return null;
        string digest = Encoding.ASCII.GetString(bytes, 0, 64);
        var json = bytes.AsSpan(65);
        if (ContentHash.Of(json).Hex != digest) return null;
        try { return JsonSerializer.Deserialize<EntryMeta>(json); }
        catch (JsonException) { return null; }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteDirectory(string path)
    {
        // Rename first so a concurrent reader never sees a half-deleted entry under its key.
        string doomed = path + ".deleting." + Guid.NewGuid().ToString("N");
        try { Directory.Move(path, doomed); Directory.Delete(doomed, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private sealed record EntryFile([property: JsonPropertyName("size")] long Size, [property: JsonPropertyName("sha256")] string Sha256);

    private sealed record EntryMeta(
        [property: JsonPropertyName("exit_code")] int ExitCode,
        [property: JsonPropertyName("duration_ns")] long DurationNs,
        [property: JsonPropertyName("files")] SortedDictionary<string, EntryFile> Files);
}
