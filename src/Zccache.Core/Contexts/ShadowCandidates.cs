using System.Text;
using System.Text.RegularExpressions;
using Zccache.Core.Hashing;
using Zccache.Core.Paths;

namespace Zccache.Core.Contexts;

/// <summary>How a compiler finds the files it reads, for <see cref="ShadowCandidates"/>.</summary>
public enum SearchModel
{
    /// <summary>The C preprocessor's include search.</summary>
    CInclude,
    /// <summary>rustc's module files: <c>m.rs</c> and <c>m/mod.rs</c> may not both exist.</summary>
    RustModules,
    /// <summary>A link's library search: a library in an earlier <c>-L</c> folder
    /// (see <see cref="Linking.LinkCommandLine.LibraryShadows"/>).</summary>
    LinkerLibraries,
}

/// <summary>
/// The paths where a new header would change what the preprocessor finds. Direct mode records
/// those that do not exist when a result is stored and re-checks them on a hit (one memoised
/// listing per folder), so a header that appears where it would be found first is a miss.
/// The search is modelled as gcc and clang do it: every <c>#include</c>, <c>#include_next</c>,
/// <c>#import</c> and <c>__has_include</c> of every file the compiler read is walked along its
/// chain (the includer's folder for <c>"…"</c>, <c>-iquote</c>, <c>-I</c>, <c>-isystem</c>, then,
/// after the compiler's own folders, <c>-idirafter</c>); <c>-include</c> and <c>-imacros</c> start
/// in the working directory. Each folder before the one the name is found in must stay without
/// it; a name found in no command-line folder (a system header, or a <c>__has_include</c> that
/// was false) must stay absent from all of them. A dependency no directive explains (an include
/// through a macro) gets the same check for every command-line folder it lies under (nested
/// <c>-I inc -I inc/sub</c> included), or, outside them, for its last path parts.
/// Not modelled: the compiler's own system folders among themselves (README: What the cache trusts).
/// </summary>
public static partial class ShadowCandidates
{
    /// <summary>Headers outside the command line's directories (system headers): how many trailing path parts to try.</summary>
    private const int SystemSuffixParts = 3;

    [GeneratedRegex(
        @"^[ \t]*#[ \t]*(?<kind>include_next|include|import)[ \t]*(?<open>[""<])(?<name>[^"">\r\n]+)["">]" +
        @"|__has_include(?<next>_next)?[ \t]*\([ \t]*(?<hopen>[""<])(?<hname>[^"">\r\n]+)["">]",
        RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex Directive();

    /// <summary>An include the preprocessor may have resolved: the name as written, its form, and the file that names it.</summary>
    private readonly record struct Include(string Name, bool Quoted, bool Next);

    private static readonly BoundedMemo<Stamped<Include[]>> Scanned = new(1 << 16, NormalizedPath.Comparer);

    /// <param name="exists">Whether a file exists now (through the batch's memoised listings).</param>
    /// <returns>
    /// The paths that must stay absent, and files the compiler read that its dependency list leaves
    /// out: precompiled headers (<c>x.h.gch</c>, <c>x.h.pch</c>), which gcc uses in place of the
    /// first header without listing either.
    /// </returns>
    public static (IReadOnlyCollection<string> Absent, IReadOnlyCollection<string> Hidden) For(SearchModel model, CompileContext context,
        IEnumerable<string> dependencies, string workingDirectory, Func<string, bool> exists) =>
        model switch
        {
            SearchModel.RustModules => (RustModules(dependencies, exists), []),
            SearchModel.LinkerLibraries => (
                [.. Linking.LinkCommandLine.LibraryShadows(
                        Linking.LibrarySearch.FromDriverArguments(context.Flags, workingDirectory), dependencies)
                    .Distinct().Where(p => !exists(p))],
                []),
            _ => IncludeSearch(context, dependencies, workingDirectory, exists),
        };

    /// <summary>
    /// For each module file, its other spelling: a new <c>foo/mod.rs</c> beside <c>foo.rs</c> (or the
    /// reverse) makes rustc refuse the crate (E0761), so it must stay absent.
    /// </summary>
    private static HashSet<string> RustModules(IEnumerable<string> dependencies, Func<string, bool> exists)
    {
        var absent = new HashSet<string>(NormalizedPath.Comparer);
        foreach (string dep in dependencies.Where(d => d.EndsWith(".rs", StringComparison.Ordinal)))
        {
            string dir = Path.GetDirectoryName(dep)!;
            string name = Path.GetFileNameWithoutExtension(dep);
            string other = name == "mod" ? dir + ".rs" : Path.Join(dir, name, "mod.rs");
            if (!exists(other)) absent.Add(other);
        }
        return absent;
    }

    private static (IReadOnlyCollection<string>, IReadOnlyCollection<string>) IncludeSearch(CompileContext context,
        IEnumerable<string> dependencies,
        string workingDirectory, Func<string, bool> exists)
    {
        var search = context.IncludeSearch;
        // Before the compiler's own folders, and after them.
        var quote = search.Quote.Select(p => p.Value).ToList();
        var early = search.User.Concat(search.System).Select(p => p.Value).Distinct(NormalizedPath.Comparer).ToList();
        var after = search.After.Select(p => p.Value).ToList();
        var chain = quote.Concat(early).Concat(after).ToList();

        var absent = new HashSet<string>(NormalizedPath.Comparer);
        var explained = new HashSet<string>(NormalizedPath.Comparer);
        var precompiled = new HashSet<string>(NormalizedPath.Comparer);
        var deps = dependencies.Select(d => NormalizedPath.From(d).Value).Distinct(NormalizedPath.Comparer).ToList();

        // Walks one name along folders; records the misses before the first hit. True when found.
        // Where a precompiled header may stand in (gcc looks for name.gch in each folder first), those too.
        bool Walk(IEnumerable<string> dirs, string name, bool pch)
        {
            foreach (string dir in dirs)
            {
                string candidate = NormalizedPath.From(name, dir).Value;
                if (pch)
                {
                    foreach (string ext in new[] { ".gch", ".pch" })
                        if (exists(candidate + ext)) precompiled.Add(candidate + ext);
                        else absent.Add(candidate + ext);
                }
                if (exists(candidate)) { explained.Add(candidate); return true; }
                absent.Add(candidate);
            }
            return false;
        }

        void Resolve(IEnumerable<string> head, string name, bool quoted, bool pch)
        {
            if (Path.IsPathRooted(name)) return; // no search
            if (Walk(head, name, pch)) return;
            if (Walk(quoted ? quote.Concat(early) : early, name, pch)) return;
            Walk(after, name, pch); // the compiler's own folders come first: if found there, these are extra checks only
        }

        // -include / -imacros: the working directory, then the quote chain.
        foreach (string spelled in context.CommandLineIncludes)
            Resolve([workingDirectory], spelled, quoted: true, pch: true);

        foreach (string file in deps)
        {
            foreach (var include in Includes(file))
            {
                if (include.Next)
                {
                    // #include_next: the chain after the folder the includer was found in (the earliest that holds it).
                    int at = chain.FindIndex(d => NormalizedPath.From(file).IsUnder(NormalizedPath.From(d)));
                    var rest = at < 0 ? after : chain.Skip(at + 1).ToList();
                    if (!Path.IsPathRooted(include.Name)) Walk(rest, include.Name, pch: false);
                    continue;
                }
                // A precompiled header can only be the first header of the source itself (or a -include).
                Resolve(include.Quoted ? [Path.GetDirectoryName(file)!] : [], include.Name, include.Quoted,
                    pch: NormalizedPath.Comparer.Equals(file, context.SourceFile.Value));
            }
        }

        // Dependencies no directive explains: found through a computed include.
        var source = context.SourceFile.Value;
        foreach (string dep in deps)
        {
            if (explained.Contains(dep) || NormalizedPath.Comparer.Equals(dep, source)) continue;
            var path = NormalizedPath.From(dep);
            bool under = false;
            for (int k = 0; k < chain.Count; k++)
            {
                if (!path.IsUnder(NormalizedPath.From(chain[k]))) continue;
                under = true;
                string relative = Path.GetRelativePath(chain[k], dep);
                foreach (string earlier in chain.Take(k))
                {
                    string candidate = Path.Join(earlier, relative);
                    if (!exists(candidate)) absent.Add(candidate);
                }
            }
            if (under) continue;
            string[] parts = dep.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            for (int n = 1; n <= Math.Min(SystemSuffixParts, parts.Length - 1); n++)
            {
                string suffix = Path.Join(parts[^n..]);
                foreach (string dir in quote.Concat(early))
                {
                    string candidate = Path.Join(dir, suffix);
                    if (!exists(candidate)) absent.Add(candidate);
                }
            }
        }
        return (absent, precompiled);
    }

    /// <summary>The include directives and <c>__has_include</c> tests of a file, memoised by its stamp.</summary>
    private static Include[] Includes(string file)
    {
        if (FileStamp.Read(file) is not { } stamp) return [];
        if (Scanned.TryGetValue(file, out var known) && known.Stamp == stamp) return known.Value;
        string text;
        try { text = Encoding.UTF8.GetString(File.ReadAllBytes(file)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
        var result = new List<Include>();
        foreach (Match m in Directive().Matches(text))
        {
            result.Add(m.Groups["kind"].Success
                ? new Include(m.Groups["name"].Value, m.Groups["open"].Value == "\"", m.Groups["kind"].Value == "include_next")
                : new Include(m.Groups["hname"].Value, m.Groups["hopen"].Value == "\"", m.Groups["next"].Success));
        }
        var includes = result.Distinct().ToArray();
        if (FileHashMemo.IsSettled(stamp)) Scanned.Set(file, new(stamp, includes));
        return includes;
    }
}
