namespace Zccache.Core.Paths;

/// <summary>
/// An absolute path normalised lexically: separators unified, "." and ".." folded,
/// repeated and trailing separators removed. No file-system access, so symlinks are
/// kept as written. Comparison follows the platform: ordinal on Linux, case-insensitive
/// on Windows and macOS (their default file systems are case-insensitive). A class, not a struct: lists and sets of paths
/// then run the framework's shared, precompiled code instead of code JIT-compiled for the struct in every build.
/// </summary>
public sealed class NormalizedPath : IEquatable<NormalizedPath>, IComparable<NormalizedPath>
{
    public static readonly StringComparison Comparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
            ? StringComparison.OrdinalIgnoreCase
            : StringComparison.Ordinal;

    public static readonly StringComparer Comparer =
        Comparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    private NormalizedPath(string value) => Value = value;

    public string Value { get; }

    /// <summary>Normalises <paramref name="path"/>; a relative path is resolved against
    /// <paramref name="baseDirectory"/> (default: the current directory).</summary>
    public static NormalizedPath From(string path, string? baseDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.IsPathRooted(path)
            ? path
            : Path.Join(baseDirectory ?? Directory.GetCurrentDirectory(), path);
        return new NormalizedPath(Fold(full));
    }

    private static string Fold(string path)
    {
        char sep = Path.DirectorySeparatorChar;
        if (OperatingSystem.IsWindows()) path = path.Replace('/', '\\');
        string root = Path.GetPathRoot(path) ?? string.Empty;
        var parts = new List<string>();
        foreach (string part in path[root.Length..].Split(sep, StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        string joined = string.Join(sep, parts);
        if (root.Length == 0) return joined;
        return root.EndsWith(sep) ? root + joined : root + sep + joined;
    }

    /// <summary>True when this path is <paramref name="directory"/> or lies below it.</summary>
    public bool IsUnder(NormalizedPath directory)
    {
        string dir = directory.Value.TrimEnd(Path.DirectorySeparatorChar);
        return Value.Equals(dir, Comparison)
            || (Value.StartsWith(dir, Comparison) && Value.Length > dir.Length && Value[dir.Length] == Path.DirectorySeparatorChar);
    }

    public bool Equals(NormalizedPath? other) => other is not null && string.Equals(Value, other.Value, Comparison);
    public override bool Equals(object? obj) => obj is NormalizedPath other && Equals(other);
    public override int GetHashCode() => Comparer.GetHashCode(Value);
    public int CompareTo(NormalizedPath? other) => other is null ? 1 : string.Compare(Value, other.Value, Comparison);
    public static bool operator <(NormalizedPath a, NormalizedPath b) => a.CompareTo(b) < 0;
    public static bool operator <=(NormalizedPath a, NormalizedPath b) => a.CompareTo(b) <= 0;
    public static bool operator >(NormalizedPath a, NormalizedPath b) => a.CompareTo(b) > 0;
    public static bool operator >=(NormalizedPath a, NormalizedPath b) => a.CompareTo(b) >= 0;
    public override string ToString() => Value;

    public static bool operator ==(NormalizedPath? a, NormalizedPath? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(NormalizedPath? a, NormalizedPath? b) => !(a == b);
    public static implicit operator string(NormalizedPath p) => p.Value;
}
