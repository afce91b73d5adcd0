using System.Text;

namespace Zccache.Core.Storage;

/// <summary>
/// A dependency the compiler reported, with the content hash (hex) it had when the entry was made,
/// and the file's stamp then when it was settled: a lookup that finds the same stamp (size, mtime,
/// ctime, inode) trusts the hash without reading the file, as the in-process memo does.
/// </summary>
public sealed record RecordedDependency(string Path, string Sha256)
{
    public Hashing.FileStamp? Stamp { get; init; }
}

/// <summary>
/// One way a context was compiled before: the dependencies it read, the paths that must still not
/// exist (they would shadow a dependency), and the entry it produced.
/// </summary>
public sealed record ManifestResult(string ArtifactKey, List<RecordedDependency> Dependencies)
{
    /// <summary>Paths that must not exist, grouped by folder (one listing answers a whole group).</summary>
    public List<AbsentGroup> Absent { get; init; } = [];
}

/// <summary>Names that must not exist in one folder.</summary>
public sealed record AbsentGroup(string Directory, List<string> Names)
{
    public static List<AbsentGroup> From(IEnumerable<string> paths) =>
        [.. paths.GroupBy(p => System.IO.Path.GetDirectoryName(p) ?? "/", Paths.NormalizedPath.Comparer)
                 .Select(g => new AbsentGroup(g.Key, [.. g.Select(p => System.IO.Path.GetFileName(p))]))];
}

/// <summary>
/// Direct mode's index: for a context key, the results seen so far, newest first. A lookup takes
/// the first whose dependencies all still hash the same. Read on every lookup, so it is a compact
/// binary file (hashes as bytes, strings length-prefixed) closed by a SHA-256 of its body. The body
/// starts with the context key it describes: a manifest read under another key is refused, so a
/// value swapped between keys (a buggy or hostile writer, a collision in a shared bucket) is never used.
/// </summary>
public sealed record Manifest(List<ManifestResult> Results)
{
    public const int MaxResults = 16;
    private static readonly byte[] Magic = "ZCMF3\n"u8.ToArray();
    // Earlier formats: a miss, never an error.
    private static readonly byte[] Family = "ZCMF"u8.ToArray();

    public Manifest With(ManifestResult result) =>
        new([result, .. Results.Where(r => r.ArtifactKey != result.ArtifactKey).Take(MaxResults - 1)]);

    /// <summary>The manifest of <paramref name="contextKey"/>, bound to that key.</summary>
    public byte[] ToBytes(string contextKey)
    {
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Convert.FromHexString(contextKey));
            w.Write(Results.Count);
            foreach (var r in Results)
            {
                w.Write(Convert.FromHexString(r.ArtifactKey));
                w.Write(r.Dependencies.Count);
                foreach (var d in r.Dependencies)
                {
                    w.Write(d.Path);
                    w.Write(Convert.FromHexString(d.Sha256));
                    w.Write(d.Stamp is not null);
                    if (d.Stamp is { } s)
                    {
                        w.Write(s.Size);
                        w.Write(s.MtimeNs);
                        w.Write(s.CtimeNs);
                        w.Write(s.Inode);
                    }
                }
                w.Write(r.Absent.Count);
                foreach (var g in r.Absent)
                {
                    w.Write(g.Directory);
                    w.Write(g.Names.Count);
                    foreach (string n in g.Names) w.Write(n);
                }
            }
        }
        body.Write(Hashing.Sha256.Hash(body.GetBuffer().AsSpan(0, (int)body.Length)));
        return body.ToArray();
    }

    /// <summary>
    /// The manifest of <paramref name="contextKey"/>; null with <paramref name="corruption"/> saying why
    /// when the bytes are not a whole, intact manifest of that key, and null alone for an earlier format.
    /// </summary>
    public static Manifest? FromBytes(byte[] bytes, string contextKey, out string? corruption)
    {
        corruption = null;
        if (bytes.Length >= Magic.Length && bytes.AsSpan(0, Family.Length).SequenceEqual(Family)
            && !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
            && bytes[Magic.Length - 1] == (byte)'\n')
            return null;
        corruption = "not a manifest";
        if (bytes.Length < Magic.Length + 32 + 4 + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
        var body = bytes.AsSpan(0, bytes.Length - 32);
        corruption = "does not match its digest";
        if (!Hashing.Sha256.Hash(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32))) return null;
        string boundTo = Hashing.Hex.Lower(bytes.AsSpan(Magic.Length, 32));
        corruption = $"it describes context {boundTo}, not this one";
        if (boundTo != contextKey) return null;
        corruption = "cannot be parsed";
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length + 32, body.Length - Magic.Length - 32), Encoding.UTF8);
            int count = Count(r);
            var results = new List<ManifestResult>(count);
            for (int i = 0; i < count; i++)
            {
                string artifact = Hex(r.ReadBytes(32));
                int deps = Count(r);
                var dependencies = new List<RecordedDependency>(deps);
                for (int d = 0; d < deps; d++)
                {
                    var dependency = new RecordedDependency(r.ReadString(), Hex(r.ReadBytes(32)));
                    if (r.ReadBoolean())
                        dependency = dependency with { Stamp = new(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadUInt64()) };
                    dependencies.Add(dependency);
                }
                int groups = Count(r);
                var absent = new List<AbsentGroup>(groups);
                for (int g = 0; g < groups; g++)
                {
                    string dir = r.ReadString();
                    int names = Count(r);
                    var list = new List<string>(names);
                    for (int n = 0; n < names; n++) list.Add(r.ReadString());
                    absent.Add(new AbsentGroup(dir, list));
                }
                results.Add(new ManifestResult(artifact, dependencies) { Absent = absent });
            }
            corruption = null;
            return new Manifest(results);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or InvalidDataException)
        {
            return null;
        }
    }

    private static int Count(BinaryReader r)
    {
        int n = r.ReadInt32();
        return n is >= 0 and <= 1_000_000 ? n : throw new InvalidDataException("bad count");
    }

    private static string Hex(byte[] bytes) =>
        bytes.Length == 32 ? Hashing.Hex.Lower(bytes) : throw new EndOfStreamException();
}
