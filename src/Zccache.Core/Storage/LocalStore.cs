using System.Text;
using Zccache.Core.Hashing;

namespace Zccache.Core.Storage;

/// <summary>A stored entry that failed verification; it has been removed.</summary>
public sealed class CorruptEntryException(string key, string why) : Exception($"cache entry {key} is corrupt ({why}) and was removed");

/// <summary>
/// The content-addressed local store. An entry is a folder of files plus a <c>meta</c> file that
/// lists each file's size and SHA-256 and starts with the SHA-256 of the rest of itself. Entries are
/// written to staging and published with one rename, so a reader sees all of an entry or none.
/// </summary>
public sealed class LocalStore(CacheLayout layout)
{
    private const string MetaFile = "meta";
    private const string OutputPrefix = "out.";

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
        if (manifest is null) AtomicFile.TryDelete(path);
        else MarkUsed(path);
        return manifest;
    }

    /// <summary>
    /// Adds results (newest first) to the context's manifest, in one read and one write, and returns
    /// the manifest written. Last writer wins; a lost update only costs a later miss.
    /// </summary>
    public Manifest AddToManifest(string contextKey, params IReadOnlyList<ManifestResult> results)
    {
        var manifest = ReadManifest(contextKey) ?? new Manifest([]);
        for (int i = results.Count - 1; i >= 0; i--) manifest = manifest.With(results[i]);
        AtomicFile.Write(Layout.ManifestFile(contextKey), manifest.ToBytes());
        return manifest;
    }

    // ---- entries ---------------------------------------------------------------------------

    /// <summary>The verified entry, or null when there is none. Throws <see cref="CorruptEntryException"/> after removing a corrupt one.</summary>
    public CacheEntry? Read(string artifactKey)
    {
        string dir = Layout.EntryDir(artifactKey);
        string metaPath = Path.Join(dir, MetaFile);
        byte[] metaBytes;
        try { metaBytes = File.ReadAllBytes(metaPath); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        MarkUsed(metaPath);

        EntryMeta meta = ParseMeta(metaBytes) ?? throw Corrupt(artifactKey, dir, "meta does not verify");
        var files = new Dictionary<string, byte[]>();
        var outputs = new List<EntryOutput>();
        foreach (var (name, info) in meta.Files)
        {
            bool isOutput = name.StartsWith(OutputPrefix, StringComparison.Ordinal) && EntryOutput.IsValidName(name[OutputPrefix.Length..]);
            if (!isOutput && name is not ("stdout" or "stderr")) throw Corrupt(artifactKey, dir, $"unknown file {name}");
            byte[] data;
            try { data = File.ReadAllBytes(Path.Join(dir, name)); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                if (!Directory.Exists(dir)) return null; // evicted while we read it: a miss, not a corruption
                throw Corrupt(artifactKey, dir, $"{name} is missing");
            }
            if (data.LongLength != info.Size || ContentHash.Of(data).Hex != info.Sha256)
                throw Corrupt(artifactKey, dir, $"{name} does not match its digest");
            if (isOutput) outputs.Add(new EntryOutput(name[OutputPrefix.Length..], data) { PathInStore = Path.Join(dir, name) });
            else files[name] = data;
        }
        return new CacheEntry
        {
            Outputs = outputs,
            Stdout = files.GetValueOrDefault("stdout") ?? [],
            Stderr = files.GetValueOrDefault("stderr") ?? [],
            ExitCode = meta.ExitCode,
            CompileDurationNs = meta.DurationNs,
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
            foreach (EntryOutput output in entry.Outputs)
            {
                if (!EntryOutput.IsValidName(output.Name)) throw new ArgumentException($"'{output.Name}' cannot name a stored file");
                Put(OutputPrefix + output.Name, output.Data);
            }
            Put("stdout", entry.Stdout);
            Put("stderr", entry.Stderr);
            byte[] body = new EntryMeta(entry.ExitCode, entry.CompileDurationNs, files).ToBytes();
            byte[] metaBytes = [.. Encoding.ASCII.GetBytes(ContentHash.Of(body).Hex + "\n"), .. body];
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

    /// <summary>An entry's last use, for LRU eviction: its meta file's mtime (one utimensat per read).</summary>
    private static void MarkUsed(string metaPath)
    {
        try { File.SetLastWriteTimeUtc(metaPath, DateTime.UtcNow); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Removes a folder so that no reader sees part of it: renamed away first, then deleted. False when it was not there.</summary>
    internal static bool RemoveDirectory(string path)
    {
        string doomed = path + ".deleting." + Guid.NewGuid().ToString("N");
        try { Directory.Move(path, doomed); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        try { Directory.Delete(doomed, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return true;
    }

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
        var body = bytes.AsSpan(65);
        return ContentHash.Of(body).Hex == digest ? EntryMeta.Parse(Encoding.UTF8.GetString(body)) : null;
    }

    // Rename first so a concurrent reader never sees a half-deleted entry under its key.
    private static void TryDeleteDirectory(string path) => RemoveDirectory(path);

    private sealed record EntryFile(long Size, string Sha256);

    /// <summary>
    /// An entry's description, as a few lines of text (no JSON: its first use in a process costs
    /// tens of milliseconds, which every build's first hit would pay):
    /// <code>
    /// zccache-entry 2
    /// exit_code 0
    /// duration_ns 812000000
    /// file out.object 6816 &lt;sha256&gt;
    /// </code>
    /// </summary>
    private sealed record EntryMeta(int ExitCode, long DurationNs, SortedDictionary<string, EntryFile> Files)
    {
        private const string Header = "zccache-entry 2";

        public byte[] ToBytes()
        {
            var text = new StringBuilder().Append(Header).Append('\n')
                .Append("exit_code ").Append(ExitCode).Append('\n')
                .Append("duration_ns ").Append(DurationNs).Append('\n');
            foreach (var (name, file) in Files) text.Append("file ").Append(name).Append(' ').Append(file.Size).Append(' ').Append(file.Sha256).Append('\n');
            return Encoding.UTF8.GetBytes(text.ToString());
        }

        public static EntryMeta? Parse(string text)
        {
            string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length < 3 || lines[0] != Header) return null;
            if (!TryValue(lines[1], "exit_code ", out string exit) || !int.TryParse(exit, out int exitCode)) return null;
            if (!TryValue(lines[2], "duration_ns ", out string duration) || !long.TryParse(duration, out long durationNs)) return null;
            var files = new SortedDictionary<string, EntryFile>(StringComparer.Ordinal);
            foreach (string line in lines.Skip(3))
            {
                string[] parts = line.Split(' ');
                if (parts.Length != 4 || parts[0] != "file" || !long.TryParse(parts[2], out long size) || !ContentHash.IsValidHex(parts[3])) return null;
                files[parts[1]] = new EntryFile(size, parts[3]);
            }
            return new EntryMeta(exitCode, durationNs, files);
        }

        private static bool TryValue(string line, string prefix, out string value)
        {
            value = line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : "";
            return value.Length > 0;
        }
    }
}
