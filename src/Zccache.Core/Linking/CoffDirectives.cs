using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Zccache.Core.Compilers;
using Zccache.Core.Hashing;

namespace Zccache.Core.Linking;

/// <summary>
/// The libraries COFF objects ask the linker for in their <c>.drectve</c> section (<c>/DEFAULTLIB:</c>, from
/// <c>#pragma comment(lib, …)</c> and the compiler's runtime choice): of one object, or of every member of a library.
/// Only the headers, section tables and directives are read, through one window that moves along the file, so a library
/// of thousands of members costs a few reads, and one of large objects (debug information) no more than its headers.
/// </summary>
public static class CoffDirectives
{
    /// <summary>What each library asks for, by path, while its stamp holds: a reused node or the server reads it once.</summary>
    private static readonly BoundedMemo<Stamped<IReadOnlyList<string>?>> Libraries = new(1 << 10);

    /// <summary>More directive text than this in one object is not real (a real one holds a few hundred bytes): the rest
    /// is not read, so a crafted file cannot make a build read gigabytes.</summary>
    private const int MaxDirectiveBytes = 1 << 20;

    /// <summary><c>/bigobj</c>'s class id, after its anonymous header's version: other anonymous objects (LTCG) have theirs.</summary>
    private static ReadOnlySpan<byte> BigObjClassId =>
        [0xC7, 0xA1, 0xBA, 0xD1, 0xEE, 0xBA, 0xA9, 0x4B, 0xAF, 0x20, 0xFA, 0xF6, 0x6A, 0xA4, 0xDC, 0xB8];

    /// <summary>The libraries an object asks for, <c>.lib</c> added where a name has none; empty when the file is not a
    /// COFF object this reads (an LTCG <c>/GL</c> object, an import object).</summary>
    public static List<string> OfObject(string objectFile)
    {
        try
        {
            using var file = new Window(objectFile);
            return NamesIn(Directives(file, 0, file.Length));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>
    /// The libraries a library's members ask for, each once; empty when the file is not an archive (<c>!&lt;arch&gt;</c>),
    /// null for a thin archive (<c>!&lt;thin&gt;</c>, whose members are files elsewhere). Every member counts, whether the
    /// link pulls it in or not: the link is checked against more libraries than it may read, never fewer.
    /// </summary>
    public static IReadOnlyList<string>? OfLibrary(string library)
    {
        FileStamp? stamp = FileStamp.Read(library);
        if (stamp is null) return [];
        if (Libraries.TryGetValue(library, out var known) && known.Stamp == stamp) return known.Value;
        var (names, complete) = ReadLibrary(library);
        // A library written within the racy window could change again under the same stamp, and one that could not be
        // read to its end says nothing for sure: neither is kept.
        if (complete && FileHashMemo.IsSettled(stamp) && FileStamp.Read(library) == stamp) Libraries.Set(library, new(stamp, names));
        return names;
    }

    private static (IReadOnlyList<string>? Names, bool Complete) ReadLibrary(string library)
    {
        var directives = new HashSet<string>(StringComparer.Ordinal); // members mostly repeat the same few: each read once
        bool complete = true;
        try
        {
            using var file = new Window(library);
            ReadOnlySpan<byte> magic = file.Get(0, 8);
            if (magic.SequenceEqual("!<thin>\n"u8)) return (null, true);
            if (!magic.SequenceEqual("!<arch>\n"u8)) return ([], true);
            const int header = 60;
            for (long at = 8; at + header <= file.Length;)
            {
                ReadOnlySpan<byte> member = file.Get(at, header);
                if (member.Length < header) break; // the file was cut short while it is read
                if (!Utf8Parser.TryParse(member.Slice(48, 10).TrimEnd((byte)' '), out long size, out _) || size < 0) break;
                long data = at + header;
                // "/" (the symbol indexes), "//" (long names) and "/<…>/" are the archive's own; every other member is an object.
                bool own = member[0] == '/' && member[1] is (byte)' ' or (byte)'/' or (byte)'<';
                if (!own) directives.UnionWith(Directives(file, data, Math.Min(size, file.Length - data)));
                at = data + size + (size & 1); // members start at even offsets
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { complete = false; }
        return ([.. NamesIn(directives).Distinct(StringComparer.OrdinalIgnoreCase)], complete);
    }

    /// <summary>The <c>/DEFAULTLIB:</c> names in directives' text, <c>.lib</c> added where a name has none.</summary>
    private static List<string> NamesIn(IEnumerable<string> directives)
    {
        var names = new List<string>();
        foreach (string directive in directives)
        {
            foreach (string option in WindowsCommandLine.Split(directive))
            {
                if (option.Length < 12 || option[0] is not ('/' or '-')
                    || !option[1..].StartsWith("DEFAULTLIB:", StringComparison.OrdinalIgnoreCase))
                    continue;
                string name = option[12..];
                if (name.Length > 0) names.Add(MsvcLinker.LibraryName(name));
            }
        }
        return names;
    }

    /// <summary>The text of each <c>.drectve</c> section of the COFF object that is <paramref name="length"/> bytes of the
    /// file from <paramref name="start"/> (all of an object file, one member of a library): a plain COFF header, or
    /// <c>/bigobj</c>'s.</summary>
    private static List<string> Directives(Window file, long start, long length)
    {
        if (length < 20) return [];
        ReadOnlySpan<byte> header = file.Get(start, (int)Math.Min(length, 56));
        if (header.Length < 20) return [];
        ushort first = BinaryPrimitives.ReadUInt16LittleEndian(header);
        bool bigobj = first == 0 && BinaryPrimitives.ReadUInt16LittleEndian(header[2..]) == 0xFFFF;
        long sections, table;
        if (bigobj)
        {
            if (header.Length < 56 || BinaryPrimitives.ReadUInt16LittleEndian(header[4..]) < 2
                || !header[12..28].SequenceEqual(BigObjClassId))
                return [];
            (sections, table) = (BinaryPrimitives.ReadUInt32LittleEndian(header[44..]), 56);
        }
        else
        {
            if (first == 0) return []; // another anonymous object: LTCG, import
            sections = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
            table = 20 + BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        }
        var texts = new List<string>();
        long textBytes = 0;
        for (long i = 0; i < sections && table + (i + 1) * 40 <= length; i++)
        {
            ReadOnlySpan<byte> section = file.Get(start + table + i * 40, 40);
            if (section.Length < 40) break;
            if (!section[..8].SequenceEqual(".drectve"u8)) continue;
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(section[16..]);
            uint at = BinaryPrimitives.ReadUInt32LittleEndian(section[20..]);
            if (size == 0 || at + (long)size > length) continue;
            if ((textBytes += size) > MaxDirectiveBytes) break;
            // The linkers split directives at NULs as at spaces (padding).
            texts.Add(Encoding.UTF8.GetString(file.Get(start + at, (int)size)).TrimStart('\uFEFF').Replace('\0', ' '));
        }
        return texts;
    }

    /// <summary>A file read through one buffer that moves to wherever the next read falls outside it.</summary>
    private sealed class Window : IDisposable
    {
        private readonly SafeFileHandle _file;
        private byte[] _buffer = new byte[1 << 16];
        private long _start;
        private int _count;

        public Window(string path)
        {
            _file = File.OpenHandle(path);
            Length = RandomAccess.GetLength(_file);
        }

        public long Length { get; }

        /// <summary><paramref name="count"/> bytes from <paramref name="at"/>; fewer where the file ends.</summary>
        public ReadOnlySpan<byte> Get(long at, int count)
        {
            if (at < _start || at + count > _start + _count)
            {
                if (count > _buffer.Length) _buffer = new byte[count];
                (_start, _count) = (at, 0);
                for (int read; _count < _buffer.Length && (read = RandomAccess.Read(_file, _buffer.AsSpan(_count), at + _count)) > 0;)
                    _count += read;
            }
            return _buffer.AsSpan((int)(at - _start), (int)Math.Clamp(_start + _count - at, 0, count));
        }

        public void Dispose() => _file.Dispose();
    }
}
