namespace Zccache.Core.Paths;

/// <summary>
/// The base directory (<c>ZccacheBaseDir</c> / <c>ZCCACHE_BASEDIR</c>), as ccache's <c>base_dir</c>:
/// paths under it enter keys and manifests as <c>&lt;base&gt;/relative</c>, so two checkouts of one
/// project at different paths share entries. Paths outside it (system headers) stay absolute.
/// </summary>
public sealed record BaseDir
{
    public const string Marker = "<base>";

    private BaseDir(string root) => Root = root;

    /// <summary>The folder, absolute, without a trailing separator.</summary>
    public string Root { get; }

    /// <summary>The base directory, or null when none is configured (or it is the file system root).</summary>
    public static BaseDir? From(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured)) return null;
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(configured.Trim()));
        return root.Length <= 1 || Path.GetPathRoot(root) == root ? null : new BaseDir(root);
    }

    /// <summary>Every mention of the base directory in <paramref name="text"/> (a path, a flag, a depfile) written as the marker.</summary>
    public string Rewrite(string text)
    {
        if (!text.Contains(Root, NormalizedPath.Comparison)) return text;
        if (string.Equals(text, Root, NormalizedPath.Comparison)) return Marker;
        return text.Replace(Root + "/", Marker + "/", NormalizedPath.Comparison)
                   .Replace(Root + "=", Marker + "=", NormalizedPath.Comparison)
                   .Replace(Root + " ", Marker + " ", NormalizedPath.Comparison)
                   .Replace(Root + "\n", Marker + "\n", NormalizedPath.Comparison);
    }

    /// <summary>The marker written back as this base directory.</summary>
    public string Expand(string text) => text.Replace(Marker, Root, StringComparison.Ordinal);
}
