using System.Text;
using Zccache.Core.Hashing;

namespace Zccache.Core.Storage;

/// <summary>A stored value (entry, manifest, remote bundle) that failed verification; a local one has been removed.</summary>
public sealed class CorruptEntryException(string message) : Exception(message);

/// <summary>
/// The content-addressed local store. An entry is a folder of files plus a <c>meta</c> file that
/// names the key the entry was published under, lists each file's size and SHA-256, and starts with
/// the SHA-256 of the rest of itself. Entries are written to staging and published with one rename,
/// so a reader sees all of an entry or none. Whatever does not verify — a changed byte, a value
/// under another key, a missing meta, a folder where a file belongs — is removed and reported, and
/// the next miss writes it again. With a budget, a publication keeps the cache to it (<see cref="KeepToBudget"/>).
/// </summary>
public sealed class LocalStore(CacheLayout layout, Lazy<long>? budget = null)
{
    private const string MetaFile = "meta";
    private const string EmptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // SHA-256 of nothing
    private const string OutputPrefix = "out.";

    public CacheLayout Layout { get; } = layout;
    private readonly CacheShards _shards = new(layout);

    // ---- manifests -------------------------------------------------------------------------

    /// <summary>The context's manifest, or null. Throws <see cref="CorruptEntryException"/> after removing a corrupt one.</summary>
    public Manifest? ReadManifest(string contextKey)
    {
        string path = Layout.ManifestFile(contextKey);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            RemoveFromShard(contextKey, path);
            throw new CorruptEntryException($"cache manifest {contextKey} is corrupt (it is a folder) and was removed");
        }
        var manifest = Manifest.FromBytes(bytes, contextKey, out string? corruption);
        if (manifest is not null)
        {
            MarkUsed(path);
            return manifest;
        }
        RemoveFromShard(contextKey, path); // an earlier format is a miss; anything else is reported
        return corruption is null ? null
            : throw new CorruptEntryException($"cache manifest {contextKey} is corrupt ({corruption}) and was removed");
    }

    /// <summary>
    /// Adds results (newest first) to the context's manifest, in one read and one write, and returns
    /// the manifest written. Last writer wins; a lost update only costs a later miss.
    /// </summary>
    public Manifest AddToManifest(string contextKey, params IReadOnlyList<ManifestResult> results)
    {
        Manifest? current;
        try { current = ReadManifest(contextKey); }
        catch (CorruptEntryException) { current = null; } // removed: start afresh
        var manifest = current ?? new Manifest([]);
        for (int i = results.Count - 1; i >= 0; i--) manifest = manifest.With(results[i]);
        string path = Layout.ManifestFile(contextKey);
        byte[] bytes = manifest.ToBytes(contextKey);
        _shards.Change<bool>(CacheShards.Of(contextKey), () =>
        {
            var old = new FileInfo(path);
            ShardUsage? delta = old.Exists ? new(bytes.LongLength - old.Length, 0, 0) : new(bytes.LongLength, 0, 1);
            try { AtomicFile.Write(path, bytes); }
            catch (IOException) when (File.Exists(Path.GetDirectoryName(path)) || Directory.Exists(path))
            {
                // A file where the shard folder belongs, or a folder where the manifest does: replace it.
                RemovePath(Directory.Exists(path) ? path : Path.GetDirectoryName(path)!);
                AtomicFile.Write(path, bytes);
                delta = null;
            }
            return (true, delta);
        });
        return manifest;
    }

    // ---- entries ---------------------------------------------------------------------------

    /// <summary>The verified entry, or null when there is none. Throws
    /// <see cref="CorruptEntryException"/> after removing a corrupt one.</summary>
    public CacheEntry? Read(string artifactKey)
    {
        string dir = Layout.EntryDir(artifactKey);
        string metaPath = Path.Join(dir, MetaFile);
        byte[] metaBytes;
        try { metaBytes = File.ReadAllBytes(metaPath); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            if (BrokenShape(dir, metaPath) is { } why) throw Corrupt(artifactKey, dir, why);
            if (e is UnauthorizedAccessException) throw;
            return null;
        }
        MarkUsed(metaPath);

        EntryMeta? parsed = ParseMeta(metaBytes, artifactKey, out string? corruption);
        if (parsed is null && corruption is null)
        {
            RemoveFromShard(artifactKey, dir); // an earlier format: a miss, written again in this one
            return null;
        }
        EntryMeta meta = parsed ?? throw Corrupt(artifactKey, dir, corruption!);
        var files = new Dictionary<string, byte[]>();
        var outputs = new List<EntryOutput>();
        foreach (var (name, info) in meta.Files)
        {
            bool isOutput = name.StartsWith(OutputPrefix, StringComparison.Ordinal) && EntryOutput.IsValidName(name[OutputPrefix.Length..]);
            if (!isOutput && name is not ("stdout" or "stderr")) throw Corrupt(artifactKey, dir, $"unknown file {name}");
            string path = Path.Join(dir, name);
            if (!isOutput && info.Size == 0 && info.Sha256 == EmptyDigest)
            {
                // Empty output of the compiler is what the meta says it is: nothing to read or check (most compiles
                // print nothing). Not for outputs: those may be delivered from the file in the store itself.
                files[name] = [];
                continue;
            }
            byte[] data;
            try { data = File.ReadAllBytes(path); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                if (!Directory.Exists(dir)) return null; // evicted while we read it: a miss, not a corruption
                throw Corrupt(artifactKey, dir, $"{name} is missing");
            }
            catch (UnauthorizedAccessException) when (Directory.Exists(path)) { throw Corrupt(artifactKey, dir, $"{name} is a folder"); }
            if (data.LongLength != info.Size || ContentHash.Of(data).Hex != info.Sha256)
                throw Corrupt(artifactKey, dir, $"{name} does not match its digest");
            if (isOutput)
                outputs.Add(new EntryOutput(name[OutputPrefix.Length..], data) { PathInStore = path, Executable = info.Executable });
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
    /// Why an entry whose meta cannot be read is broken, or null when it is simply absent. A
    /// published entry always has its meta (the folder is renamed into place whole), so a folder
    /// without one, or a file or folder of the wrong kind, is damage, never a publication in progress.
    /// </summary>
    private static string? BrokenShape(string dir, string metaPath)
    {
        if (File.Exists(dir)) return "its folder is a file";
        if (Directory.Exists(metaPath)) return "meta is a folder";
        if (Directory.Exists(dir) && !File.Exists(metaPath)) return "meta is missing";
        return null;
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
        AtomicFile.CreateFolder(staging);
        bool published;
        try
        {
            var files = new SortedDictionary<string, EntryFile>(StringComparer.Ordinal);
            long bytes = 0;
            void Put(string name, byte[]? data, bool executable = false)
            {
                if (data is null) return;
                using (var f = AtomicFile.CreateNew(Path.Join(staging, name))) f.Write(data);
                files[name] = new EntryFile(data.LongLength, ContentHash.Of(data).Hex, executable);
                bytes += data.LongLength;
            }
            foreach (EntryOutput output in entry.Outputs)
            {
                if (!EntryOutput.IsValidName(output.Name)) throw new ArgumentException($"'{output.Name}' cannot name a stored file");
                Put(OutputPrefix + output.Name, output.Data, output.Executable);
            }
            Put("stdout", entry.Stdout);
            Put("stderr", entry.Stderr);
            byte[] body = new EntryMeta(artifactKey, entry.ExitCode, entry.CompileDurationNs, files).ToBytes();
            byte[] metaBytes = [.. Encoding.ASCII.GetBytes(ContentHash.Of(body).Hex + "\n"), .. body];
            // No fsync (ccache does none either): after a crash, a file the disk lost is a digest mismatch, so a miss.
            using (var f = AtomicFile.CreateNew(Path.Join(staging, MetaFile))) f.Write(metaBytes);
            var added = new ShardUsage(bytes + metaBytes.LongLength, 1, 0);
            published = _shards.Change(CacheShards.Of(artifactKey), () =>
            {
                EnsureFolder(Path.GetDirectoryName(final)!);
                try
                {
                    Directory.Move(staging, final);
                    return (true, added);
                }
                catch (IOException) when (Directory.Exists(final))
                {
                    return (false, new ShardUsage()); // someone else published this key first
                }
                catch (IOException) when (File.Exists(final))
                {
                    RemovePath(final); // a file where the entry belongs: replace it
                    Directory.Move(staging, final);
                    return (true, (ShardUsage?)null);
                }
            });
        }
        finally
        {
            if (Directory.Exists(staging)) RemoveDirectory(staging);
        }
        if (published) KeepToBudget();
        return published;
    }

    /// <summary>How often the cache is checked against its budget: at most once a minute, by a process that stores.</summary>
    public static readonly TimeSpan BudgetCheckInterval = TimeSpan.FromMinutes(1);

    private long _nextBudgetCheck; // Environment.TickCount64
    private int _checkingBudget;

    /// <summary>
    /// After a publication: trims the cache to its budget when the last trim (by any process) is over
    /// <see cref="BudgetCheckInterval"/> old (<see cref="Eviction.TrimIfDue"/>: 256 shard counters read, shards walked only
    /// when over). Only what stores pays for the check, in a process busy compiling anyway: a build's start, a no-change
    /// build and a build of hits never do. One thread of the store checks; the others go on.
    /// </summary>
    private void KeepToBudget()
    {
        if (budget is null || Environment.TickCount64 < Interlocked.Read(ref _nextBudgetCheck)) return;
        if (Interlocked.Exchange(ref _checkingBudget, 1) == 1) return;
        try
        {
            Eviction.TrimIfDue(Layout, budget.Value, BudgetCheckInterval);
            Interlocked.Exchange(ref _nextBudgetCheck, Environment.TickCount64 + (long)BudgetCheckInterval.TotalMilliseconds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // published; the next store tries again
        finally { Volatile.Write(ref _checkingBudget, 0); }
    }

    public void Remove(string artifactKey) => RemoveFromShard(artifactKey, Layout.EntryDir(artifactKey));

    /// <summary>Removes an entry or manifest of unknown size under its shard's lock; the shard is recounted later.</summary>
    private void RemoveFromShard(string key, string path) =>
        _shards.Change<bool>(CacheShards.Of(key), () =>
        {
            RemovePath(path, aside: Layout.Staging);
            return (true, null);
        });

    /// <summary>How old a last use may grow before a read records a new one: eviction orders by coarse times.</summary>
    public static readonly TimeSpan UseResolution = TimeSpan.FromHours(1);

    /// <summary>
    /// An entry's or manifest's last use, for LRU eviction: its file's mtime, written only when it is
    /// older than <see cref="UseResolution"/> (a stat per read; a write once an hour at most).
    /// </summary>
    private static void MarkUsed(string path)
    {
        try
        {
            var now = DateTime.UtcNow;
            if (now - File.GetLastWriteTimeUtc(path) > UseResolution) File.SetLastWriteTimeUtc(path, now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Creates a folder, replacing a file that took its place (a damaged store heals on the next write).</summary>
    internal static void EnsureFolder(string dir)
    {
        try { AtomicFile.CreateFolder(dir); }
        catch (IOException) when (File.Exists(dir))
        {
            AtomicFile.TryDelete(dir);
            AtomicFile.CreateFolder(dir);
        }
    }

    /// <summary>Removes what is at <paramref name="path"/>, a file or a folder (see <see cref="RemoveDirectory"/>).</summary>
    internal static void RemovePath(string path, string? aside = null)
    {
        if (File.Exists(path)) AtomicFile.TryDelete(path);
        else RemoveDirectory(path, aside);
    }

    /// <summary>
    /// Removes a folder so that no reader sees part of it: renamed away first (beside it, or into
    /// <paramref name="aside"/>, where an interrupted removal is collected with the staging leftovers),
    /// then deleted. False when it was not there.
    /// </summary>
    internal static bool RemoveDirectory(string path, string? aside = null)
    {
        string doomed = Path.Join(aside ?? Path.GetDirectoryName(path),
            Path.GetFileName(path) + ".deleting." + Guid.NewGuid().ToString("N"));
        try { Directory.Move(path, doomed); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        try { Directory.Delete(doomed, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return true;
    }

    /// <summary>
    /// Collects what killed processes left behind: publications and interrupted removals in staging,
    /// private depfiles (<c>deps.&lt;pid&gt;.*.d</c>), probes, and half-written files
    /// (<c>*.&lt;pid&gt;.*.tmp</c>) in the store (beside manifests they are collected with their shard,
    /// see <see cref="CacheShards"/>). Never walks the entries or manifests.
    /// </summary>
    public int CleanStaging(TimeSpan olderThan)
    {
        int removed = 0;
        var now = DateTime.UtcNow;
        void Collect(string folder, string pattern, SearchOption depth)
        {
            if (!Directory.Exists(folder)) return;
            try
            {
                foreach (var leftover in new DirectoryInfo(folder).EnumerateFileSystemInfos(pattern, depth))
                {
                    if (!IsAbandoned(leftover, now, olderThan)) continue;
                    RemovePath(leftover.FullName);
                    removed++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // collected next time
        }
        Collect(Layout.Staging, "*", SearchOption.TopDirectoryOnly);
        Collect(Layout.Store, "*.tmp", SearchOption.TopDirectoryOnly);
        Collect(Layout.Tools, "*.tmp", SearchOption.AllDirectories);
        return removed;
    }

    /// <summary>
    /// A leftover goes when the process its name holds is not running (and it is two minutes old: a
    /// process in another pid namespace may share the cache), or when it is older than <paramref name="olderThan"/>.
    /// </summary>
    internal static bool IsAbandoned(FileSystemInfo leftover, DateTime now, TimeSpan olderThan)
    {
        var age = now - leftover.LastWriteTimeUtc;
        if (age > olderThan) return true;
        return age > TimeSpan.FromMinutes(2) && OwnerPid(leftover.Name) is { } pid && !Sessions.SessionManager.IsProcessAlive(pid);
    }

    /// <summary>The process id in a leftover's name (<c>&lt;key&gt;.&lt;pid&gt;.&lt;guid&gt;</c>,
    /// <c>deps.&lt;pid&gt;.&lt;guid&gt;.d</c>, <c>&lt;file&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c>).</summary>
    private static int? OwnerPid(string name)
    {
        string[] parts = name.Split('.');
        for (int i = parts.Length - 2; i >= 1; i--)
            if (parts[i + 1].Length == 32 && int.TryParse(parts[i], out int pid)) return pid;
        return null;
    }

    // ---- helpers ---------------------------------------------------------------------------

    private CorruptEntryException Corrupt(string key, string dir, string why)
    {
        RemoveFromShard(key, dir);
        return new CorruptEntryException($"cache entry {key} is corrupt ({why}) and was removed");
    }

    /// <summary>The meta of <paramref name="artifactKey"/>; null with a reason
    /// when it does not verify, null alone for an earlier format.</summary>
    private static EntryMeta? ParseMeta(byte[] bytes, string artifactKey, out string? corruption)
    {
        corruption = "meta does not verify";
        int newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline != 64) return null;
        string digest = Encoding.ASCII.GetString(bytes, 0, 64);
        var body = bytes.AsSpan(65);
        if (ContentHash.Of(body).Hex != digest) return null;
        string text = Encoding.UTF8.GetString(body);
        if (!text.StartsWith(EntryMeta.Header + "\n", StringComparison.Ordinal)
            && text.StartsWith("zccache-entry ", StringComparison.Ordinal))
        {
            corruption = null;
            return null;
        }
        if (EntryMeta.Parse(text) is not { } meta) return null;
        corruption = $"it was published for key {meta.Key}";
        if (meta.Key != artifactKey) return null;
        corruption = null;
        return meta;
    }

    /// <summary>A stored file: its size and digest, and whether it is delivered executable (in the meta, which its
    /// digest covers, not in the file's mode, which a file system without modes would lose or invent).</summary>
    private sealed record EntryFile(long Size, string Sha256, bool Executable);

    /// <summary>
    /// An entry's description, as a few lines of text (no JSON: its first use in a process costs
    /// tens of milliseconds, which every build's first hit would pay):
    /// <code>
    /// zccache-entry 4
    /// key &lt;the artifact key it was published under&gt;
    /// exit_code 0
    /// duration_ns 812000000
    /// file out.object 6816 &lt;sha256&gt;
    /// file out.output 16440 &lt;sha256&gt; x          (x: delivered executable)
    /// </code>
    /// </summary>
    private sealed record EntryMeta(string Key, int ExitCode, long DurationNs, SortedDictionary<string, EntryFile> Files)
    {
        public const string Header = "zccache-entry 4"; // 4: an output's file keeps its execute bit

        public byte[] ToBytes()
        {
            var text = new StringBuilder().Append(Header).Append('\n')
                .Append("key ").Append(Key).Append('\n')
                .Append("exit_code ").Append(ExitCode).Append('\n')
                .Append("duration_ns ").Append(DurationNs).Append('\n');
            foreach (var (name, file) in Files)
                text.Append("file ").Append(name).Append(' ').Append(file.Size).Append(' ').Append(file.Sha256)
                    .Append(file.Executable ? " x\n" : "\n");
            return Encoding.UTF8.GetBytes(text.ToString());
        }

        public static EntryMeta? Parse(string text)
        {
            string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length < 4 || lines[0] != Header) return null;
            if (!TryValue(lines[1], "key ", out string key) || !ContentHash.IsValidHex(key)) return null;
            if (!TryValue(lines[2], "exit_code ", out string exit) || !int.TryParse(exit, out int exitCode)) return null;
            if (!TryValue(lines[3], "duration_ns ", out string duration) || !long.TryParse(duration, out long durationNs)) return null;
            var files = new SortedDictionary<string, EntryFile>(StringComparer.Ordinal);
            foreach (string line in lines.Skip(4))
            {
                string[] parts = line.Split(' ');
                if (parts.Length is not (4 or 5) || (parts.Length == 5 && parts[4] != "x") || parts[0] != "file"
                    || !long.TryParse(parts[2], out long size) || !ContentHash.IsValidHex(parts[3])) return null;
                files[parts[1]] = new EntryFile(size, parts[3], parts.Length == 5);
            }
            return new EntryMeta(key, exitCode, durationNs, files);
        }

        private static bool TryValue(string line, string prefix, out string value)
        {
            value = line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : "";
            return value.Length > 0;
        }
    }
}
