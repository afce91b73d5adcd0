using System.Collections.Concurrent;
using System.Text;
using Zccache.Core.Hashing;
using Zccache.Core.Storage;

namespace Zccache.Core.Compilers;

/// <summary>
/// Finds the compiler a name refers to (PATH search, symlinks followed) and identifies it by the
/// content hash of its binary, plus the files where the toolchain's version really lives: for
/// rustc the compiler library it drives (<c>librustc_driver-*.so</c>); for emcc/em++ (a script)
/// Emscripten's version file, its <c>emcc.py</c> and the clang its config names.
/// Hashing a compiler costs milliseconds (rustc's driver: a second), and a launcher is a new
/// process per compile, so identities are memoised in-process and on disk under the cache root,
/// by each file's <see cref="FileStamp"/>, as ccache's <c>compiler_check=mtime</c> does.
/// </summary>
public static class CompilerIdentity
{
    private static readonly ConcurrentDictionary<(string Path, FileStamp Stamp), string> Known = new();

    /// <summary>The absolute path of the compiler, or null when it cannot be found.</summary>
    public static string? Resolve(string compiler, string workingDirectory, string? pathVariable = null)
    {
        if (compiler.Contains('/') || compiler.Contains(Path.DirectorySeparatorChar))
        {
            string full = Path.GetFullPath(compiler, workingDirectory);
            return File.Exists(full) ? full : null;
        }
        string path = pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Join(dir, compiler);
            if (File.Exists(candidate)) return candidate;
            if (OperatingSystem.IsWindows() && File.Exists(candidate + ".exe")) return candidate + ".exe";
        }
        return null;
    }

    /// <summary>The compiler's identity for keys: "sha256:&lt;hex&gt;[+&lt;hex&gt;…]"; null when a file cannot be read.</summary>
    public static string? Identify(string resolvedPath, FileHashMemo memo, CacheLayout? layout = null)
    {
        string real = RealPath(resolvedPath);
        var parts = new List<string>();
        foreach (string file in (IEnumerable<string>)[real, .. RustcDriverLibraries(real), .. EmscriptenFiles(resolvedPath, real)])
        {
            if (HashOf(file, memo, layout) is not { } hex) return null;
            parts.Add(hex);
        }
        return "sha256:" + string.Join('+', parts);
    }

    private static string RealPath(string path)
    {
        try
        {
            if (File.ResolveLinkTarget(path, returnFinalTarget: true) is { } target) return target.FullName;
        }
        catch (IOException) { }
        return path;
    }

    /// <summary>For <c>&lt;sysroot&gt;/bin/rustc</c>: <c>&lt;sysroot&gt;/lib/librustc_driver-*</c>.</summary>
    private static IEnumerable<string> RustcDriverLibraries(string rustc)
    {
        if (!RustcCommandLine.IsRustc(rustc)) return [];
        string lib = Path.Join(Path.GetDirectoryName(Path.GetDirectoryName(rustc)), "lib");
        return Directory.Exists(lib) ? Directory.EnumerateFiles(lib, "librustc_driver-*").Order(StringComparer.Ordinal) : [];
    }

    private static IEnumerable<string> EmscriptenFiles(string invoked, string real)
    {
        string name = Path.GetFileNameWithoutExtension(invoked);
        if (name is not ("emcc" or "em++")) return [];
        string root = Path.GetDirectoryName(real)!;
        var files = new List<string>();
        foreach (string f in new[] { "emscripten-version.txt", "emcc.py" })
            if (File.Exists(Path.Join(root, f))) files.Add(Path.Join(root, f));
        // LLVM_ROOT = '/usr/bin' in Emscripten's config: the clang that really compiles.
        string config = Path.Join(root, ".emscripten");
        if (File.Exists(config))
        {
            foreach (string line in File.ReadLines(config))
            {
                if (!line.TrimStart().StartsWith("LLVM_ROOT", StringComparison.Ordinal)) continue;
                int q1 = line.IndexOfAny(['\'', '"']);
                int q2 = q1 < 0 ? -1 : line.IndexOf(line[q1], q1 + 1);
                if (q2 > q1 && File.Exists(Path.Join(line[(q1 + 1)..q2], "clang"))) files.Add(RealPath(Path.Join(line[(q1 + 1)..q2], "clang")));
            }
        }
        return files;
    }

    private static string? HashOf(string file, FileHashMemo memo, CacheLayout? layout)
    {
        if (FileStamp.Read(file) is not { } stamp) return null;
        if (Known.TryGetValue((file, stamp), out string? hex)) return hex;

        string? record = layout is null ? null : Path.Join(layout.Tools, ContentHash.Of(Encoding.UTF8.GetBytes(file)).Hex[..32]);
        string line = $"{file}\n{stamp.Size} {stamp.MtimeNs} {stamp.CtimeNs} {stamp.Inode}\n";
        if (record is not null)
        {
            try
            {
                string text = File.ReadAllText(record);
                if (text.StartsWith(line, StringComparison.Ordinal) && ContentHash.IsValidHex(text[line.Length..].Trim()))
                    return Known[(file, stamp)] = text[line.Length..].Trim();
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        if (memo.Get(file) is not { } facts) return null;
        hex = facts.Hash.Hex;
        // Only a stamp old enough to be trusted (see FileHashMemo.RacyWindow) is worth remembering.
        bool settled = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 - stamp.MtimeNs > FileHashMemo.RacyWindow.Ticks * 100;
        if (settled && FileStamp.Read(file) == stamp)
        {
            Known[(file, stamp)] = hex;
            if (record is not null)
            {
                try { AtomicFile.Write(record, Encoding.UTF8.GetBytes(line + hex + "\n")); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // only a memo
            }
        }
        return hex;
    }
}
