using Zccache.Core.Compilers;
using Zccache.Core.Contexts;
using Zccache.Core.Paths;

namespace Zccache.Core.Linking;

/// <summary>
/// A link through a gcc-family driver (<c>gcc -shared -o libx.so a.o b.o -L… -l…</c>, an executable, a <c>-r</c> object):
/// a plan for the same pipeline as compiles. The key holds every argument in order, the working directory, the
/// environment the driver and linker read, and the driver's identity (which includes the <c>ld</c> it runs); what the
/// link read — objects, archives, shared libraries, linker scripts, crt files — comes from the linker's own dependency
/// output (<c>-Wl,--dependency-file</c>, GNU ld 2.35+, gold, lld) and is verified on every hit like a compile's headers.
/// A library that appears in an earlier <c>-L</c> folder than the one the link used must stay absent.
/// </summary>
public static class LinkCommandLine
{
    private static readonly HashSet<string> InputExtensions =
        new(StringComparer.Ordinal) { ".o", ".obj", ".a", ".so", ".lo", ".lib", ".dylib" };

    /// <summary>Options whose value is the next argument.</summary>
    private static readonly HashSet<string> WithValue = new(StringComparer.Ordinal)
    {
        "-o", "-L", "-l", "-T", "-u", "-e", "-z", "-Xlinker", "-B", "--sysroot", "-target", "--target", "-isysroot",
    };

    /// <summary>
    /// The plan for a link, or why it is not cached. <paramref name="notACompile"/> is why the compile reader refused the
    /// call (no <c>-c</c>): it stays the reason when the call compiles sources too.
    /// </summary>
    public static (CacheableCompile? Compile, NonCacheable? Why) Parse(CompileInvocation invocation, NonCacheable notACompile)
    {
        List<string> args;
        try { args = ResponseFiles.Expand(invocation.Arguments, invocation.WorkingDirectory); }
        catch (IOException e) { return (null, new NonCacheable(NonCacheableReason.BadResponseFile, e.Message)); }

        string cwd = invocation.WorkingDirectory;
        string? output = null;
        int inputs = 0;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string? value = WithValue.Contains(a) && i + 1 < args.Count ? args[++i] : null;
            if (a == "-o") { output = value; continue; }
            if (a.StartsWith("-o", StringComparison.Ordinal) && a.Length > 2) { output = a[2..]; continue; }
            if (a is "-c" or "-S" or "-E" or "-M" or "-MM" or "-x" or "-save-temps" or "-v" or "-###" or "-" or "-pipe"
                || a.StartsWith("-flto", StringComparison.Ordinal) || a.StartsWith("-fuse-linker-plugin", StringComparison.Ordinal)
                || a.StartsWith("-fprofile", StringComparison.Ordinal) || a == "--coverage"
                || a.StartsWith("-save-temps", StringComparison.Ordinal))
                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, a));
            // Extra outputs or a dependency file of the user's own: the entry would not hold everything the link writes.
            string linkerArg = a == "-Xlinker" ? value ?? "" : a.StartsWith("-Wl,", StringComparison.Ordinal) ? a : "";
            if (HasSideEffects(linkerArg))
                return (null, new NonCacheable(NonCacheableReason.UnsupportedOption, linkerArg));
            if (a.StartsWith('-') || value is not null) continue;
            string ext = Path.GetExtension(a);
            if (!InputExtensions.Contains(ext) && !IsVersionedSharedLibrary(a)) return (null, notACompile); // a source: compiles and links
            inputs++;
        }
        if (inputs == 0) return (null, new NonCacheable(NonCacheableReason.NoSource, "no objects to link"));
        string outputPath = Path.GetFullPath(output ?? "a.out", cwd);

        var extras = new List<KeyValuePair<string, string>> { new("link", "1"), new("cwd", NormalizedPath.From(cwd).Value) };
        foreach (string name in GccCommandLine.OutputEnvironment)
            if (invocation.GetEnvironmentVariable(name) is { Length: > 0 } v) extras.Add(new("env:" + name, v));
        return (new CacheableCompile
        {
            // A link's "source" is what it makes; every argument, in order, is a flag (order decides symbol resolution).
            Context = new CompileContext { SourceFile = NormalizedPath.From(outputPath), Flags = args },
            Step = Sessions.Step.Link,
            KeyExtras = extras,
            Arguments = args,
            Outputs = [new("output", outputPath)],
            DependencyArguments = path => [DependencyFileOption(path)],
            Search = SearchModel.LinkerLibraries,
            // A failed link is never replayed: "cannot find -lfoo" names no file a later lookup could check.
            IsEnvironmentFailure = _ => true,
        }, null);
    }

    /// <summary>The linker option (through the driver) that makes it write every file it read to <paramref name="path"/>.</summary>
    public static string DependencyFileOption(string path) => "-Wl,--dependency-file=" + path;

    /// <summary>
    /// True for a linker option that writes a file of its own (a map, an import library, a dependency file) or loads a
    /// plugin: a cached entry would not hold everything the link does.
    /// </summary>
    public static bool HasSideEffects(string linkerArg) =>
        linkerArg.Contains("--dependency-file", StringComparison.Ordinal) || linkerArg.Contains("-Map", StringComparison.Ordinal)
        || linkerArg.Contains("--out-implib", StringComparison.Ordinal) || linkerArg.Contains("--print-map", StringComparison.Ordinal)
        || linkerArg.Contains("--plugin", StringComparison.Ordinal);

    /// <summary>
    /// Where a new library would be found before the one the link used: for each name, <c>libNAME.so</c> and
    /// <c>libNAME.a</c> in every <c>-L</c> folder searched before the folder it was found in (all of them when it came
    /// from a system folder), and a <c>libNAME.so</c> beside a static <c>libNAME.a</c> the link used.
    /// </summary>
    public static IEnumerable<string> LibraryShadows(LibrarySearch search, IEnumerable<string> dependencies)
    {
        var used = dependencies.ToList();
        var names = search.Names.Where(n => !n.StartsWith(':')).ToList();
        if (search.NamesFromLinker)
            names.AddRange(used.Select(Path.GetFileName).OfType<string>()
                .Where(f =>
                    f.StartsWith("lib", StringComparison.Ordinal)
                    && (f.EndsWith(".so", StringComparison.Ordinal) || f.EndsWith(".a", StringComparison.Ordinal)))
                .Select(f => f[3..f.LastIndexOf('.')]));
        foreach (string name in names.Distinct(StringComparer.Ordinal))
        {
            string shared = $"lib{name}.so", archive = $"lib{name}.a";
            string? found = used.FirstOrDefault(d => Path.GetFileName(d) == shared || Path.GetFileName(d) == archive);
            string? foundIn = found is null ? null : Path.GetDirectoryName(found);
            foreach (string folder in search.Folders)
            {
                if (foundIn is not null && NormalizedPath.Comparer.Equals(folder, foundIn)) break;
                yield return Path.Join(folder, shared);
                yield return Path.Join(folder, archive);
            }
            if (found is not null && Path.GetFileName(found) == archive) yield return Path.Join(foundIn, shared);
        }
    }

    private static bool IsVersionedSharedLibrary(string path) => Path.GetFileName(path).Contains(".so.", StringComparison.Ordinal);
}
