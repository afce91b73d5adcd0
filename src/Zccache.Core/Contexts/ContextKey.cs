using System.Text;
using Zccache.Core.Paths;

namespace Zccache.Core.Contexts;

/// <summary>
/// SHA-256 over a versioned, domain-separated encoding of a <see cref="CompileContext"/>, the
/// compiler's identity (its binary's content hash) and extra inputs (environment, working
/// directory, output naming). Every field is tagged and length-prefixed, so no two different
/// contexts encode to the same bytes.
/// </summary>
public readonly record struct ContextKey(string Hex)
{
    /// <summary>Bump when the encoding or anything that feeds it changes meaning.</summary>
    public const string Version = "zccache.msbuild/context-key/v2";

    /// <param name="baseDir">When set, every field is written with the base
    /// directory as a marker (see <see cref="Paths.BaseDir"/>).</param>
    public static ContextKey Compute(CompileContext context, string compilerIdentity, IEnumerable<KeyValuePair<string, string>> extra,
        Paths.BaseDir? baseDir = null)
    {
        using var hash = Hashing.Sha256.Create();
        var w = new KeyWriter(hash, baseDir);
        if (baseDir is not null) w.Field("base-dir", "relative");
        w.Field("version", Version);
        w.Field("compiler", compilerIdentity);
        w.Field("source", context.SourceFile);
        w.List("iquote", context.IncludeSearch.Quote.Select(p => p.Value));
        w.List("I", context.IncludeSearch.User.Select(p => p.Value));
        w.List("isystem", context.IncludeSearch.System.Select(p => p.Value));
        w.List("idirafter", context.IncludeSearch.After.Select(p => p.Value));
        // Macro values and unknown flags reach the output as written: no prefix map undoes a rewrite of them.
        w.List("D", context.Defines, rewrite: false);
        w.List("U", context.Undefines, rewrite: false);
        w.List("macro-order", context.OrderedMacroOps, rewrite: false);
        w.List("flags", context.Flags);
        w.List("include", context.ForceIncludes.Select(p => p.Value));
        w.List("unknown", context.UnknownFlags, rewrite: false);
        foreach (var (name, value) in extra.OrderBy(e => e.Key, StringComparer.Ordinal))
            w.Field("extra:" + name, value);
        return new ContextKey(Hashing.Hex.Lower(hash.Finish()));
    }

    /// <summary>Derives a further key (e.g. the artifact key) from this one and more fields, domain-separated.</summary>
    public string Derive(string domain, IEnumerable<string> parts)
    {
        using var hash = Hashing.Sha256.Create();
        var w = new KeyWriter(hash);
        w.Field("domain", domain);
        w.Field("parent", Hex);
        w.List("parts", parts);
        return Hashing.Hex.Lower(hash.Finish());
    }

    public override string ToString() => Hex;

    private readonly struct KeyWriter(Hashing.Sha256.Incremental hash, Paths.BaseDir? baseDir = null)
    {
        public void Field(string tag, string value)
        {
            Bytes(Encoding.UTF8.GetBytes(tag));
            Bytes(Encoding.UTF8.GetBytes(baseDir?.Rewrite(value) ?? value));
        }

        public void List(string tag, IEnumerable<string> values, bool rewrite = true)
        {
            var items = values.ToList();
            Bytes(Encoding.UTF8.GetBytes(tag));
            Span<byte> count = stackalloc byte[8];
            BitConverter.TryWriteBytes(count, (long)items.Count);
            hash.Append(count);
            foreach (string item in items) Bytes(Encoding.UTF8.GetBytes((rewrite ? baseDir?.Rewrite(item) : null) ?? item));
        }

        private void Bytes(byte[] data)
        {
            Span<byte> length = stackalloc byte[8];
            BitConverter.TryWriteBytes(length, (long)data.Length);
            hash.Append(length);
            hash.Append(data);
        }
    }
}
