using Zccache.Core.Paths;

namespace Zccache.Core.Contexts;

/// <summary>
/// The paths where a new header would shadow one the compiler used: for a dependency found in
/// include directory k, the same relative path in directories searched before k. Direct mode
/// records those that did not exist and re-checks them on lookup; that is how a header added to
/// an earlier include directory becomes a miss (a known blind spot of plain direct mode).
/// </summary>
public static class ShadowCandidates
{
    /// <summary>Headers outside the command line's directories (system headers): how many trailing path parts to try.</summary>
    private const int SystemSuffixParts = 3;

    public static IEnumerable<string> For(CompileContext context, IEnumerable<string> dependencies)
    {
        var dirs = context.IncludeSearch.InSearchOrder().Distinct().ToList();
        if (dirs.Count == 0) yield break;
        var sourceDir = context.SourceFile.Parent;
        var seen = new HashSet<string>(NormalizedPath.Comparer);
        foreach (string dependency in dependencies)
        {
            var dep = NormalizedPath.From(dependency);
            if (dep == context.SourceFile) continue;
            int k = dirs.FindIndex(dep.IsUnder);
            if (k >= 0)
            {
                string relative = Path.GetRelativePath(dirs[k].Value, dep.Value);
                foreach (var earlier in dirs.Take(k))
                    if (seen.Add(Path.Join(earlier.Value, relative))) yield return Path.Join(earlier.Value, relative);
            }
            else if (sourceDir is { } here && dep.Parent == here)
            {
                // Found beside the includer: searched first for #include "…", nothing can shadow it.
            }
            else
            {
                // A system header: any command-line directory is searched before it, under the name it was included by.
                string[] parts = dep.Value.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
                for (int n = 1; n <= Math.Min(SystemSuffixParts, parts.Length - 1); n++)
                {
                    string suffix = Path.Join(parts[^n..]);
                    foreach (var dir in dirs)
                        if (seen.Add(Path.Join(dir.Value, suffix))) yield return Path.Join(dir.Value, suffix);
                }
            }
        }
    }
}
