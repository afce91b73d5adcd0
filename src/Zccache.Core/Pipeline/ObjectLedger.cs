using System.Text;
using Zccache.Core.Hashing;
using Zccache.Core.Storage;

namespace Zccache.Core.Pipeline;

/// <summary>What produced an object: the context key, the object's stamp when written, and the inputs that went into it.</summary>
public sealed record ObjectRecord(string ContextKey, FileStamp ObjectStamp, ManifestResult Inputs);

/// <summary>
/// A project's record of the objects it last produced, as make's timestamps or the vcxproj CL task's tracking logs are
/// for an incremental build: an object still in place (same stamp) whose context key and every input's stamp are
/// unchanged, and whose shadowing candidates are still absent, is up to date — nothing is looked up, delivered or
/// compiled. Kept in one small file per project instance; a file that cannot be read is an empty ledger (everything
/// goes through the cache, which is always correct).
/// </summary>
public sealed class ObjectLedger
{
    private static readonly byte[] Magic = "ZCOL2\n"u8.ToArray();
    private readonly Dictionary<string, ObjectRecord> _records;
    private readonly string _path;
    private bool _changed;

    private ObjectLedger(string path, Dictionary<string, ObjectRecord> records)
    {
        _path = path;
        _records = records;
    }

    public static ObjectLedger Load(string path)
    {
        var records = new Dictionary<string, ObjectRecord>(Paths.NormalizedPath.Comparer);
        try
        {
            if (File.Exists(path)) Read(File.ReadAllBytes(path), records);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException
            or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            records.Clear();
        }
        return new ObjectLedger(path, records);
    }

    public ObjectRecord? Find(string objectFile)
    {
        lock (_records) return _records.GetValueOrDefault(objectFile);
    }

    /// <summary>Records what produced <paramref name="objectFile"/> (now on
    /// disk), or forgets it when <paramref name="record"/> is null.</summary>
    public void Set(string objectFile, ObjectRecord? record)
    {
        lock (_records)
        {
            if (record is null) _changed |= _records.Remove(objectFile);
            else { _records[objectFile] = record; _changed = true; }
        }
    }

    /// <summary>Writes the ledger if it changed; a failure only costs the next build its up-to-date checks.</summary>
    public void Save()
    {
        lock (_records)
        {
            if (!_changed) return;
            try { AtomicFile.Write(_path, Write(_records)); _changed = false; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    // A project's objects share most of their inputs (its headers, the system's): each distinct input and each
    // distinct group of absent names is written once, and the records refer to them by number.
    private static byte[] Write(Dictionary<string, ObjectRecord> records)
    {
        var dependencies = new Dictionary<RecordedDependency, int>();
        var absentGroups = new Dictionary<string, int>(StringComparer.Ordinal);
        List<RecordedDependency> dependencyTable = [];
        List<AbsentGroup> absentTable = [];
        foreach (var r in records.Values)
        {
            foreach (var d in r.Inputs.Dependencies)
                if (dependencies.TryAdd(d, dependencyTable.Count)) dependencyTable.Add(d);
            foreach (var g in r.Inputs.Absent)
                if (absentGroups.TryAdd(AbsentKey(g), absentTable.Count)) absentTable.Add(g);
        }
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write7BitEncodedInt(dependencyTable.Count);
            foreach (var d in dependencyTable)
            {
                w.Write(d.Path);
                w.Write(d.Sha256);
                w.Write(d.Stamp is not null);
                if (d.Stamp is { } stamp) WriteStamp(w, stamp);
            }
            w.Write7BitEncodedInt(absentTable.Count);
            foreach (var g in absentTable)
            {
                w.Write(g.Directory);
                w.Write7BitEncodedInt(g.Names.Count);
                foreach (string n in g.Names) w.Write(n);
            }
            w.Write7BitEncodedInt(records.Count);
            foreach (var (objectFile, r) in records)
            {
                w.Write(objectFile);
                w.Write(r.ContextKey);
                WriteStamp(w, r.ObjectStamp);
                w.Write(r.Inputs.ArtifactKey);
                w.Write7BitEncodedInt(r.Inputs.Dependencies.Count);
                foreach (var d in r.Inputs.Dependencies) w.Write7BitEncodedInt(dependencies[d]);
                w.Write7BitEncodedInt(r.Inputs.Absent.Count);
                foreach (var g in r.Inputs.Absent) w.Write7BitEncodedInt(absentGroups[AbsentKey(g)]);
            }
        }
        return body.ToArray();
    }

    private static string AbsentKey(AbsentGroup g) => g.Directory + "\0" + string.Join('\0', g.Names);

    private static void Read(byte[] bytes, Dictionary<string, ObjectRecord> records)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) return; // another version's: start afresh
        var dependencies = new RecordedDependency[r.Read7BitEncodedInt()];
        for (int i = 0; i < dependencies.Length; i++)
        {
            string path = r.ReadString(), sha = r.ReadString();
            dependencies[i] = new RecordedDependency(path, sha) { Stamp = r.ReadBoolean() ? ReadStamp(r) : null };
        }
        var absentGroups = new AbsentGroup[r.Read7BitEncodedInt()];
        for (int i = 0; i < absentGroups.Length; i++)
        {
            string dir = r.ReadString();
            var names = new List<string>();
            for (int m = r.Read7BitEncodedInt(); m > 0; m--) names.Add(r.ReadString());
            absentGroups[i] = new AbsentGroup(dir, names);
        }
        for (int count = r.Read7BitEncodedInt(); count > 0; count--)
        {
            string objectFile = r.ReadString();
            string contextKey = r.ReadString();
            var objectStamp = ReadStamp(r);
            string artifactKey = r.ReadString();
            var deps = new List<RecordedDependency>();
            for (int n = r.Read7BitEncodedInt(); n > 0; n--) deps.Add(dependencies[r.Read7BitEncodedInt()]);
            var absent = new List<AbsentGroup>();
            for (int n = r.Read7BitEncodedInt(); n > 0; n--) absent.Add(absentGroups[r.Read7BitEncodedInt()]);
            records[objectFile] = new ObjectRecord(contextKey, objectStamp, new ManifestResult(artifactKey, deps) { Absent = absent });
        }
    }

    private static void WriteStamp(BinaryWriter w, FileStamp s)
    {
        w.Write(s.Size);
        w.Write(s.MtimeNs);
        w.Write(s.CtimeNs);
        w.Write(s.Inode);
    }

    private static FileStamp ReadStamp(BinaryReader r) => new(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadUInt64());
}
