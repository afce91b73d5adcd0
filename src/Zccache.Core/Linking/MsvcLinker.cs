using System.Buffers.Binary;
using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Paths;

namespace Zccache.Core.Linking;

/// <summary>
/// link.exe and lld-link, which link what cl and clang-cl compile: how they are named, and where they find a library
/// named without a folder. Their links are not cached (see <see cref="UncachedLink"/>): neither lists the files it read.
/// </summary>
public static class MsvcLinker
{
    /// <summary>The variables link.exe reads: library folders, and options before and after its arguments.</summary>
    public static readonly IReadOnlyList<string> Variables = ["LIB", "LINK", "_LINK_"];

    /// <summary>True for <c>link</c>, <c>lld-link</c> and <c>lld-link-14</c>, with or without <c>.exe</c> or a folder.</summary>
    public static bool IsMsvcLinker(string program)
    {
        string name = WindowsPath.FileName(program).ToLowerInvariant();
        if (name.EndsWith(".exe", StringComparison.Ordinal)) name = name[..^4];
        return name is "link" or "lld-link"
            || (name.StartsWith("lld-link-", StringComparison.Ordinal) && name.Length > 9
                && name[9..].All(c => char.IsDigit(c) || c == '.'));
    }

    private static readonly string[] CompanionExtensions = [".pdb", ".lib", ".exp"];

    /// <summary>What link.exe writes beside a DLL or program when it does: <c>/DEBUG</c>'s PDB, the import library and its
    /// <c>.exp</c>.</summary>
    public static List<string> Companions(string output) => [.. CompanionExtensions.Select(e => Path.ChangeExtension(output, e))];

    /// <summary>The linker of a cl-family compiler's objects: lld-link for clang-cl's, link for cl's.</summary>
    public static string For(string compiler) => ClCommandLine.IsClangCl(compiler) ? "lld-link" : "link";

    /// <summary>
    /// Where the linker looks for <paramref name="name"/> (a library without a folder), in its order — the working folder,
    /// each <c>/LIBPATH</c> folder, each folder of <c>LIB</c> (separated by <c>;</c>) — up to the first that exists:
    /// the one it links, and before it every place where a new file of that name would be linked instead.
    /// </summary>
    public static List<string> SearchPath(string name, string workingDirectory, IEnumerable<string> libPaths, string? libVariable)
    {
        IEnumerable<string> folders = [workingDirectory, .. libPaths,
            .. (libVariable ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        var tried = new List<string>();
        foreach (string folder in folders)
        {
            string candidate = Path.Join(Path.GetFullPath(folder, workingDirectory), name);
            tried.Add(candidate);
            if (File.Exists(candidate)) break;
        }
        return tried;
    }

    /// <summary>
    /// The libraries a COFF object asks the linker for in its <c>.drectve</c> section (<c>/DEFAULTLIB:</c>, from
    /// <c>#pragma comment(lib, …)</c> and the compiler's runtime choice), <c>.lib</c> added where a name has none; empty
    /// when the file is not a COFF object this reads (an LTCG <c>/GL</c> object, an import object).
    /// </summary>
    public static List<string> DefaultLibraries(string objectFile)
    {
        var names = new List<string>();
        try
        {
            using var file = File.OpenRead(objectFile);
            foreach (string directive in Directives(file))
            {
                foreach (string option in WindowsCommandLine.Split(directive))
                {
                    if (option.Length < 12 || option[0] is not ('/' or '-')
                        || !option[1..].StartsWith("DEFAULTLIB:", StringComparison.OrdinalIgnoreCase))
                        continue;
                    string name = option[12..];
                    if (name.Length > 0) names.Add(WindowsPath.Extension(name).Length > 0 ? name : name + ".lib");
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return names;
    }

    /// <summary>The text of each <c>.drectve</c> section: a plain COFF header, or <c>/bigobj</c>'s.</summary>
    private static List<string> Directives(FileStream file)
    {
        Span<byte> header = stackalloc byte[56];
        if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < 20) return [];
        ushort first = BinaryPrimitives.ReadUInt16LittleEndian(header);
        bool bigobj = first == 0 && BinaryPrimitives.ReadUInt16LittleEndian(header[2..]) == 0xFFFF;
        long sections, table;
        if (bigobj)
        {
            if (BinaryPrimitives.ReadUInt16LittleEndian(header[4..]) < 2) return [];
            (sections, table) = (BinaryPrimitives.ReadUInt32LittleEndian(header[44..]), 56);
        }
        else
        {
            if (first == 0) return []; // another anonymous object: LTCG, import
            sections = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
            table = 20 + BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        }
        var texts = new List<string>();
        byte[] section = new byte[40];
        for (long i = 0; i < sections && table + (i + 1) * 40 <= file.Length; i++)
        {
            file.Position = table + i * 40;
            file.ReadExactly(section);
            if (!section.AsSpan(0, 8).SequenceEqual(".drectve"u8)) continue;
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(section.AsSpan(16));
            uint at = BinaryPrimitives.ReadUInt32LittleEndian(section.AsSpan(20));
            if (size == 0 || at + (long)size > file.Length) continue;
            byte[] text = new byte[size];
            file.Position = at;
            file.ReadExactly(text);
            texts.Add(Encoding.UTF8.GetString(text).TrimStart('\uFEFF'));
        }
        return texts;
    }
}
