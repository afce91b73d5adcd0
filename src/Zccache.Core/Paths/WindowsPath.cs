using System.Text;

namespace Zccache.Core.Paths;

/// <summary>
/// Path arithmetic for MSVC-style command lines, lexical and independent of the host: drive letters
/// (<c>C:\src</c>), UNC roots, both separators, and case-insensitive names. On Windows the platform
/// does it; elsewhere a Windows-style path (a drive letter, or a working directory that has one) is
/// folded by Windows' rules, any other path by the host's, so tests on Linux run the Windows rules.
/// </summary>
public static class WindowsPath
{
    /// <summary>Names compare as Windows compares them: ignoring case.</summary>
    public static readonly StringComparer Comparer = StringComparer.OrdinalIgnoreCase;

    /// <summary><c>C:\…</c>, <c>C:/…</c> or <c>\\server\share…</c>.</summary>
    public static bool IsRooted(string path) =>
        (path.Length >= 3 && char.IsAsciiLetter(path[0]) && path[1] == ':' && path[2] is '\\' or '/')
        || path.StartsWith(@"\\", StringComparison.Ordinal);

    /// <summary>The last name of <paramref name="path"/>, after either separator.</summary>
    public static string FileName(string path) => path[(path.LastIndexOfAny(['/', '\\']) + 1)..];

    /// <summary>The extension of the last name (with its dot), or empty.</summary>
    public static string Extension(string path)
    {
        string name = FileName(path);
        int dot = name.LastIndexOf('.');
        return dot <= 0 ? "" : name[dot..];
    }

    public static bool HasExtension(string path) => Extension(path).Length > 0;

    /// <summary>A name placed in a folder, with the folder's separator.</summary>
    public static string Join(string directory, string name)
    {
        char sep = IsRooted(directory) ? '\\' : Path.DirectorySeparatorChar;
        return directory.EndsWith('/') || directory.EndsWith('\\') ? directory + name : directory + sep + name;
    }

    /// <summary><paramref name="path"/> made absolute against <paramref name="workingDirectory"/>
    /// and folded (<c>.</c>, <c>..</c>, separators).</summary>
    public static string Full(string path, string workingDirectory)
    {
        if (OperatingSystem.IsWindows() || !(IsRooted(path) || IsRooted(workingDirectory)))
            return Path.GetFullPath(path, workingDirectory);
        string full =
            IsRooted(path) ? path
            // C:rel, taken from the drive's root
            : path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':' ? path[..2] + "\\" + path[2..]
            : path.StartsWith('\\') || path.StartsWith('/') ? Root(workingDirectory) + path
            : workingDirectory + "\\" + path;
        return Fold(full.Replace('/', '\\'));
    }

    private static string Root(string path) =>
        path.StartsWith(@"\\", StringComparison.Ordinal) ? string.Join('\\', path.Split('\\').Take(4)) : path[..2];

    private static string Fold(string path)
    {
        string root = path.StartsWith(@"\\", StringComparison.Ordinal) ? Root(path) + "\\" : path[..3];
        var parts = new List<string>();
        foreach (string part in path[root.Length..].Split('\\', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return new StringBuilder(root).AppendJoin('\\', parts).ToString();
    }
}
