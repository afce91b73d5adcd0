using System.Globalization;
using System.Text;
using Zccache.Core.Hashing;
using Zccache.Core.Storage;

namespace Zccache.Core.Compilers;

/// <summary>
/// Finds the compiler a name refers to (PATH search, symlinks followed) and identifies it by the
/// content hash of its binary, plus the files where the toolchain's version really lives: for
/// rustc the compiler library it drives (<c>librustc_driver-*.so</c>) and
/// the linker tools it ships (<c>rust-lld</c>); for emcc/em++ (a script)
/// Emscripten's version file, its <c>emcc.py</c> and the clang its config names.
/// Hashing a compiler costs milliseconds (rustc's driver: a second), and a launcher is a new
/// process per compile, so identities are memoised in-process and on disk under the cache root,
/// by each file's <see cref="FileStamp"/>, as ccache's <c>compiler_check=mtime</c> does.
/// What the driver executes counts too: a gcc-family driver (or a wrapper script) is asked once
/// which <c>cc1</c>, <c>cc1plus</c>, <c>as</c> and <c>clang</c> it runs (<c>-print-prog-name</c>,
/// with the call's <c>-B</c> folders and PATH), and a rustup proxy which toolchain it runs
/// (<c>rustc --print sysroot</c>); the answers are memoised on disk by everything that decides
/// them, so a hit starts no process.
/// </summary>
public static class CompilerIdentity
{
    private static readonly BoundedMemo<Stamped<string>> Known = new(1 << 10);

    /// <summary>
    /// The compiler's path (the first PATH folder holding the name, as execvp finds it), or null when it cannot be found.
    /// With <paramref name="inputs"/>, a name found absent from a folder is known absent while the folder's stamp stands
    /// (a new entry changes it): one stat per folder for the call, not one per folder and name (the compiler, then the
    /// as and ld its driver runs).
    /// </summary>
    public static string? Resolve(string compiler, string workingDirectory, string? pathVariable = null, InputSnapshot? inputs = null)
    {
        if (compiler.Contains('/') || compiler.Contains(Path.DirectorySeparatorChar))
        {
            string full = Path.GetFullPath(compiler, workingDirectory);
            return File.Exists(full) ? full : null;
        }
        string path = pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            // A relative folder is the call's, not this process's (the resident server runs elsewhere).
            string folder = Path.GetFullPath(dir, workingDirectory);
            if (inputs is not null && inputs.HasEntry(folder, compiler) == false
                && (!OperatingSystem.IsWindows() || inputs.HasEntry(folder, compiler + ".exe") == false))
                continue;
            string candidate = Path.Join(folder, compiler);
            if (File.Exists(candidate)) return candidate;
            if (OperatingSystem.IsWindows() && File.Exists(candidate + ".exe")) return candidate + ".exe";
        }
        return null;
    }

    /// <summary>The compiler's identity for keys: "sha256:&lt;hex&gt;[+&lt;hex&gt;…]"; null when a file cannot be read.</summary>
    /// <param name="invocation">The call: its PATH, environment, working
    /// directory and <c>-B</c> folders decide what the driver runs.</param>
    /// <param name="inputs">The call's view of its inputs: where the driver's programs are looked up on PATH.</param>
    /// <remarks>A batch (<paramref name="inputs"/>) identifies each compiler once for all its calls that agree on what decides
    /// the identity (<see cref="WhatDecides"/>): its compiles differ in sources and options, and each identification is a
    /// few dozen stats and link reads.</remarks>
    public static string? Identify(string resolvedPath, FileHashMemo memo, CacheLayout? layout = null, CompileInvocation? invocation = null,
        InputSnapshot? inputs = null)
    {
        if (inputs is null || invocation is null) return IdentifyNow(resolvedPath, memo, layout, invocation, inputs);
        string question = string.Join('\n', ["compiler", resolvedPath, .. WhatDecides(invocation)]);
        // An unidentified toolchain's key is one no other call has: not an answer to share.
        return inputs.Answer(question, () => IdentifyNow(resolvedPath, memo, layout, invocation, inputs),
            keep: identity => identity?.StartsWith("unidentified:", StringComparison.Ordinal) != true);
    }

    /// <summary>All that the identity reads from a call, besides files: its folder, the variables the driver or rustup look
    /// at, rustup's <c>+toolchain</c> and gcc's <c>-B</c> folders.</summary>
    private static IEnumerable<string> WhatDecides(CompileInvocation invocation) =>
        [invocation.WorkingDirectory, .. DecidingVariables.Select(v => v + "=" + invocation.GetEnvironmentVariable(v)),
            invocation.Arguments.Count > 0 && invocation.Arguments[0].StartsWith('+') ? invocation.Arguments[0] : "",
            .. BFolders(invocation.Arguments, invocation.WorkingDirectory)];

    // Every variable DriverPrograms and RustupToolchain read.
    private static readonly string[] DecidingVariables =
        ["PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH", "RUSTUP_HOME", "HOME", "RUSTUP_TOOLCHAIN"];

    private static string? IdentifyNow(string resolvedPath, FileHashMemo memo, CacheLayout? layout, CompileInvocation? invocation,
        InputSnapshot? inputs)
    {
        string real = RealPath(resolvedPath);
        var parts = new List<string>();
        IEnumerable<string> files = [real, .. RustcToolchainFiles(real), .. EmscriptenFiles(resolvedPath, real)];
        if (invocation is not null && IsRustupProxy(resolvedPath, real))
        {
            // The proxy runs a toolchain chosen by files and variables: identify that toolchain's rustc.
            // A toolchain that cannot be told must not share entries with any other: a key no other call has.
            if (RustupToolchain(resolvedPath, real, invocation, layout) is not { } rustc)
                return "unidentified:" + Guid.NewGuid().ToString("N");
            files = [RealPath(rustc), .. RustcToolchainFiles(RealPath(rustc))];
        }
        else if (invocation is not null && GccCommandLine.IsGccFamily(resolvedPath) && !IsEmscripten(resolvedPath))
            files = [.. files, .. DriverPrograms(resolvedPath, real, invocation, layout, inputs)];
        foreach (string file in files)
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

    /// <summary>
    /// For <c>&lt;sysroot&gt;/bin/rustc</c>: <c>&lt;sysroot&gt;/lib/librustc_driver-*</c>, and the tools rustc runs from
    /// <c>&lt;sysroot&gt;/lib/rustlib/*/bin</c> (its <c>rust-lld</c>, which <c>cc</c> links with through <c>-fuse-ld=lld</c>).
    /// </summary>
    private static List<string> RustcToolchainFiles(string rustc)
    {
        if (!RustcCommandLine.IsRustc(rustc)) return [];
        string lib = Path.Join(Path.GetDirectoryName(Path.GetDirectoryName(rustc)), "lib");
        if (!Directory.Exists(lib)) return [];
        var files = Directory.EnumerateFiles(lib, "librustc_driver-*").Order(StringComparer.Ordinal).ToList();
        string rustlib = Path.Join(lib, "rustlib");
        if (Directory.Exists(rustlib))
            files.AddRange(Directory.EnumerateDirectories(rustlib).Select(target => Path.Join(target, "bin")).Where(Directory.Exists)
                .SelectMany(bin => Directory.EnumerateFiles(bin, "*", SearchOption.AllDirectories)).Order(StringComparer.Ordinal));
        return files;
    }

    private static bool IsEmscripten(string invoked) => Path.GetFileNameWithoutExtension(invoked) is "emcc" or "em++";

    private static List<string> EmscriptenFiles(string invoked, string real)
    {
        if (!IsEmscripten(invoked)) return [];
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
                if (q2 > q1 && File.Exists(Path.Join(line[(q1 + 1)..q2], "clang")))
                    files.Add(RealPath(Path.Join(line[(q1 + 1)..q2], "clang")));
            }
        }
        return files;
    }

    private static readonly string[] DriverProgramNames = ["cc1", "cc1plus", "as", "clang", "collect2", "ld", "ld.lld", "ld.gold"];

    /// <summary>The programs a gcc-family driver runs for a compile, as files (the ones it would not find are left out).</summary>
    private static List<string> DriverPrograms(string invoked, string real, CompileInvocation invocation, CacheLayout? layout,
        InputSnapshot? inputs)
    {
        string? path = invocation.GetEnvironmentVariable("PATH");
        var bFolders = BFolders(invocation.Arguments, invocation.WorkingDirectory);
        string decidedBy = string.Join('\n',
            [invoked, Stamp(real), Stamp(invoked), path ?? "", invocation.GetEnvironmentVariable("GCC_EXEC_PREFIX") ?? "",
            invocation.GetEnvironmentVariable("COMPILER_PATH") ?? "", .. bFolders]);
        string[] answers = Memoised("programs2", decidedBy, layout, () =>
        {
            var found = new List<string>();
            foreach (string program in DriverProgramNames)
            {
                var run = CompilerProcess.Run(invoked, [.. bFolders.Select(b => "-B" + b), "-print-prog-name=" + program],
                    invocation.WorkingDirectory, invocation.Environment);
                // A driver that cannot say (a wrapper that takes no such option) is identified by itself; the answer is kept all the same.
                if (run.ExitCode != 0) return [];
                found.Add(CompilerProcess.Text(run.Stdout).Trim());
            }
            return [.. found];
        }) ?? [];
        var files = new List<string>();
        foreach (string answer in answers)
        {
            // An absolute answer is a file the driver found in its own folders; "as" alone is looked up on PATH, every time.
            string? file = Path.IsPathRooted(answer) ? answer : answer is "as" or "ld" or "ld.lld" or "ld.gold"
                ? Resolve(answer, invocation.WorkingDirectory, path, inputs) : null;
            if (file is null || !File.Exists(file)) continue;
            string realFile = RealPath(file);
            if (!string.Equals(realFile, real, StringComparison.Ordinal)) files.Add(realFile);
        }
        return files;
    }

    private static List<string> BFolders(IReadOnlyList<string> args, string cwd)
    {
        var result = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "-B" && i + 1 < args.Count) result.Add(Path.GetFullPath(args[++i], cwd) + (args[i].EndsWith('/') ? "/" : ""));
            else if (a.StartsWith("-B", StringComparison.Ordinal) && a is not ("-Bstatic" or "-Bdynamic" or "-Bsymbolic"))
                result.Add(Path.GetFullPath(a[2..], cwd) + (a.EndsWith('/') ? "/" : ""));
        }
        return result;
    }

    private static bool IsRustupProxy(string invoked, string real) =>
        RustcCommandLine.IsRustc(invoked) && Path.GetFileNameWithoutExtension(real) is "rustup" or "rustup-init";

    /// <summary>
    /// The rustc a rustup proxy runs for this call. rustup chooses by <c>+toolchain</c>,
    /// RUSTUP_TOOLCHAIN, a <c>rust-toolchain(.toml)</c> file in the folder or above, its settings
    /// (overrides, default) and what is installed: all of that decides the memo.
    /// </summary>
    private static string? RustupToolchain(string invoked, string real, CompileInvocation invocation, CacheLayout? layout)
    {
        string home = invocation.GetEnvironmentVariable("RUSTUP_HOME")
            ?? Path.Join(invocation.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                ".rustup");
        string plus = invocation.Arguments.Count > 0 && invocation.Arguments[0].StartsWith('+') ? invocation.Arguments[0] : "";
        var decidedBy = new List<string> { invoked, Stamp(real), plus, home, invocation.GetEnvironmentVariable("RUSTUP_TOOLCHAIN") ?? "",
            Stamp(Path.Join(home, "settings.toml")), DirectoryStamp(Path.Join(home, "toolchains")) };
        for (string? dir = Path.GetFullPath(invocation.WorkingDirectory); dir is not null; dir = Path.GetDirectoryName(dir))
            foreach (string name in new[] { "rust-toolchain", "rust-toolchain.toml" })
                if (FileStamp.Read(Path.Join(dir, name)) is { } s) decidedBy.Add($"{dir}/{name} {s}");
        string[]? sysroot = Memoised("rustup", string.Join('\n', decidedBy), layout, () =>
        {
            var run = CompilerProcess.Run(invoked, [.. plus.Length > 0 ? new[] { plus } : [], "--print", "sysroot"],
                invocation.WorkingDirectory, invocation.Environment);
            string text = CompilerProcess.Text(run.Stdout).Trim();
            return run.ExitCode == 0 && Directory.Exists(text) ? [text] : null;
        });
        if (sysroot is not [var root]) return null;
        string rustc = Path.Join(root, "bin", OperatingSystem.IsWindows() ? "rustc.exe" : "rustc");
        return File.Exists(rustc) ? rustc : null;
    }

    private static string Stamp(string file) => FileStamp.Read(file) is { } s ? $"{s.Size} {s.MtimeNs} {s.CtimeNs} {s.Inode}" : "-";

    private static string DirectoryStamp(string dir)
    {
        try
        {
            return Directory.Exists(dir) ? Directory.GetLastWriteTimeUtc(dir).Ticks.ToString(CultureInfo.InvariantCulture) : "-";
        }
        catch (IOException) { return "-"; }
    }

    private static readonly BoundedMemo<string[]> Answers = new(1 << 10);

    /// <summary>An answer that takes a process to get, memoised in-process and on disk by the text of everything that decides it.</summary>
    private static string[]? Memoised(string kind, string decidedBy, CacheLayout? layout, Func<string[]?> ask)
    {
        string id = kind + "-" + ContentHash.Of(Encoding.UTF8.GetBytes(decidedBy)).Hex[..32];
        if (Answers.TryGetValue(id, out var known)) return known;
        string? record = layout is null ? null : Path.Join(layout.Tools, id);
        if (record is not null)
        {
            try
            {
                string[] lines = File.ReadAllText(record).Split('\n');
                // The first line is the whole question: a hash collision or a torn file is no answer.
                if (lines.Length >= 2 && lines[0] == Hex.Lower(Sha256.Hash(Encoding.UTF8.GetBytes(decidedBy))) && lines[^1] == "end")
                {
                    string[] recorded = lines[1..^1];
                    Answers.Set(id, recorded);
                    return recorded;
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        if (ask() is not { } answer) return null;
        Answers.Set(id, answer);
        if (record is not null)
        {
            try
            {
                AtomicFile.Write(record, Encoding.UTF8.GetBytes(string.Join('\n',
                [Hex.Lower(Sha256.Hash(Encoding.UTF8.GetBytes(decidedBy))), .. answer, "end"])));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // only a memo
        }
        return answer;
    }

    private static string? HashOf(string file, FileHashMemo memo, CacheLayout? layout)
    {
        if (FileStamp.Read(file) is not { } stamp) return null;
        if (Known.TryGetValue(file, out var known) && known.Stamp == stamp) return known.Value;

        string? record = layout is null ? null : Path.Join(layout.Tools, ContentHash.Of(Encoding.UTF8.GetBytes(file)).Hex[..32]);
        string line = $"{file}\n{stamp.Size} {stamp.MtimeNs} {stamp.CtimeNs} {stamp.Inode}\n";
        if (record is not null)
        {
            try
            {
                string text = File.ReadAllText(record);
                if (text.StartsWith(line, StringComparison.Ordinal) && ContentHash.IsValidHex(text[line.Length..].Trim()))
                {
                    string recorded = text[line.Length..].Trim();
                    Known.Set(file, new(stamp, recorded));
                    return recorded;
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        if (memo.Get(file) is not { } facts) return null;
        string hex = facts.Hash.Hex;
        // Only a stamp old enough to be trusted (see FileHashMemo.RacyWindow) is worth remembering.
        bool settled = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 - stamp.MtimeNs > FileHashMemo.RacyWindow.Ticks * 100;
        if (settled && FileStamp.Read(file) == stamp)
        {
            Known.Set(file, new(stamp, hex));
            if (record is not null)
            {
                try { AtomicFile.Write(record, Encoding.UTF8.GetBytes(line + hex + "\n")); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // only a memo
            }
        }
        return hex;
    }
}
