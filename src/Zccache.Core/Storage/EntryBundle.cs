using System.Text;

namespace Zccache.Core.Storage;

/// <summary>
/// A cache entry as one blob, for a remote store: the artifact key it is stored under, the files
/// with their names, the exit code and the compile's duration, closed by the SHA-256 of everything
/// before it, then zstd-compressed. A bundle that does not decompress, parse or verify, or that
/// belongs to another key, is refused: a remote is never trusted.
/// </summary>
public static class EntryBundle
{
    private static readonly byte[] Magic = "ZCEB3\n"u8.ToArray();
    // An output is "out.<name>", or "exe.<name>" when it is delivered executable.
    private const string OutputPrefix = "out.", ExecutablePrefix = "exe.";
    // Earlier formats: a miss, never an error.
    private static readonly byte[] Family = "ZCEB"u8.ToArray();

    public static byte[] Pack(string artifactKey, CacheEntry entry)
    {
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Convert.FromHexString(artifactKey));
            w.Write(entry.ExitCode);
            w.Write(entry.CompileDurationNs);
            w.Write(entry.Outputs.Count + 2);
            foreach (var o in entry.Outputs) Write(w, (o.Executable ? ExecutablePrefix : OutputPrefix) + o.Name, o.Data);
            Write(w, "stdout", entry.Stdout);
            Write(w, "stderr", entry.Stderr);
        }
        body.Write(Hashing.Sha256.Hash(body.GetBuffer().AsSpan(0, (int)body.Length)));
        return Compress(body.GetBuffer().AsSpan(0, (int)body.Length));
    }

    /// <summary>zstd, level 3: what every remote transfer is.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> data)
    {
        using var zstd = new ZstdSharp.Compressor(3);
        return zstd.Wrap(data).ToArray();
    }

    /// <summary>Null when the bytes are not zstd.</summary>
    public static byte[]? Decompress(byte[] compressed)
    {
        try
        {
            using var zstd = new ZstdSharp.Decompressor();
            return zstd.Unwrap(compressed).ToArray();
        }
        catch (Exception e) when (e is ZstdSharp.ZstdException or ArgumentException or InvalidOperationException) { return null; }
    }

    /// <summary>
    /// The entry of <paramref name="artifactKey"/>; null with <paramref name="corruption"/> saying why
    /// when the bundle is not a whole, intact entry of that key, and null alone for an earlier format.
    /// </summary>
    public static CacheEntry? Unpack(byte[] compressed, string artifactKey, out string? corruption)
    {
        corruption = "does not decompress";
        if (Decompress(compressed) is not { } bytes) return null;
        corruption = null;
        if (bytes.Length >= Magic.Length && bytes.AsSpan(0, Family.Length).SequenceEqual(Family)
            && !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
            && bytes[Magic.Length - 1] == (byte)'\n')
            return null;
        corruption = "not an entry";
        if (bytes.Length < Magic.Length + 32 + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
        var body = bytes.AsSpan(0, bytes.Length - 32);
        corruption = "does not match its digest";
        if (!Hashing.Sha256.Hash(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32))) return null;
        string boundTo = Hashing.Hex.Lower(bytes.AsSpan(Magic.Length, 32));
        corruption = $"it was stored for key {boundTo}";
        if (boundTo != artifactKey) return null;
        corruption = "cannot be parsed";
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length + 32, body.Length - Magic.Length - 32), Encoding.UTF8);
            int exit = r.ReadInt32();
            long duration = r.ReadInt64();
            int count = r.ReadInt32();
            if (count is < 2 or > 64) return null;
            var outputs = new List<EntryOutput>();
            byte[] stdout = [], stderr = [];
            for (int i = 0; i < count; i++)
            {
                string name = r.ReadString();
                int length = r.ReadInt32();
                if (length < 0) return null;
                byte[] data = r.ReadBytes(length);
                if (data.Length != length) return null;
                if (name == "stdout") stdout = data;
                else if (name == "stderr") stderr = data;
                else if ((name.StartsWith(OutputPrefix, StringComparison.Ordinal)
                    || name.StartsWith(ExecutablePrefix, StringComparison.Ordinal)) && EntryOutput.IsValidName(name[4..]))
                    outputs.Add(new EntryOutput(name[4..],
                        data)
                    { Executable = name.StartsWith(ExecutablePrefix, StringComparison.Ordinal) });
                else return null;
            }
            corruption = null;
            return new CacheEntry { Outputs = outputs, Stdout = stdout, Stderr = stderr, ExitCode = exit, CompileDurationNs = duration };
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException) { return null; }
    }

    private static void Write(BinaryWriter w, string name, byte[] data)
    {
        w.Write(name);
        w.Write(data.Length);
        w.Write(data);
    }
}
