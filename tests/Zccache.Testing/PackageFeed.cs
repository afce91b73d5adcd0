using System.Diagnostics;

namespace Zccache.Testing;

/// <summary>
/// Packs the real Zccache.MSBuild package once per test run into a local feed, with a version
/// no earlier run used (so no NuGet cache can serve a stale copy), and a private packages folder.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    /// <summary>The feed of the end-to-end tests (an xunit collection fixture needs one public constructor).</summary>
    public PackageFeed() : this("e2e") { }

    /// <summary>A feed for another purpose (benchmarks, other engines): named so its folders are told apart.</summary>
    public static PackageFeed For(string purpose) => new(purpose);

    private PackageFeed(string purpose)
    {
        Root = Path.Join(Path.GetTempPath(),
            $"zccache-{purpose}-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "-" + Environment.ProcessId);
        Feed = Path.Join(Root, "feed");
        Packages = Path.Join(Root, "packages");
        Version = $"0.0.0-{purpose}." + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        Directory.CreateDirectory(Feed);
        // dotnet test runs test assemblies in parallel, and each packs: one pack at a time, as
        // they share the projects' obj/ folders (two NativeAOT publishes at once corrupt each other).
        using (AcquirePackLock())
        {
            var r = Dotnet.Run(RepoRoot,
                ["pack", Path.Join(RepoRoot, "src", "Zccache.MSBuild"), "-c", "Release", "-o", Feed, "-p:Version=" + Version, "-nologo"],
                new(),
                timeout: TimeSpan.FromMinutes(30)); // a NativeAOT publish on a loaded 2-core machine has taken over 10
            if (r.ExitCode != 0) throw new InvalidOperationException("packing Zccache.MSBuild failed:\n" + r.Output);
        }
    }

    public string Root { get; }
    public string Feed { get; }
    public string Packages { get; }
    public string Version { get; }

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The package's <c>tools/</c> folder, extracted once (with execute bits, which NuGet does not keep).</summary>
    public string Tools
    {
        get
        {
            lock (this)
            {
                string dir = Path.Join(Root, "extracted");
                if (!Directory.Exists(dir))
                {
                    System.IO.Compression.ZipFile.ExtractToDirectory(Path.Join(Feed, $"Zccache.MSBuild.{Version}.nupkg"), dir);
                    foreach (string f in new[] { "tools/linux-x64/zccache", "tools/linux-x64/zccache-engine", "tools/any/zccache" })
                        if (File.Exists(Path.Join(dir, f))) File.SetUnixFileMode(Path.Join(dir, f), (UnixFileMode)0b111_101_101);
                }
                return Path.Join(dir, "tools");
            }
        }
    }

    /// <summary>The native launcher shipped in the package.</summary>
    public string Launcher => Path.Join(Tools, "linux-x64", "zccache");

    /// <summary>Removes the feed, the private packages folder and every workspace under them.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static FileStream AcquirePackLock()
    {
        string path = Path.Join(RepoRoot, "src", ".pack.lock");
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); ; Thread.Sleep(200))
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(15)) { }
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Join(dir.FullName, "Zccache.MSBuild.sln"))) return dir.FullName;
        throw new InvalidOperationException("Zccache.MSBuild.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record ProcessOutput(int ExitCode, string Output);

public static class Dotnet
{
    /// <summary>
    /// Runs dotnet with the given environment changes (null value removes a variable); stdout and stderr together.
    /// <paramref name="whileRunning"/> is called once the process runs (to signal it, say).
    /// </summary>
    public static ProcessOutput Run(string cwd, IEnumerable<string> args, Dictionary<string, string?> env, string executable = "dotnet",
        Action<Process>? whileRunning = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = cwd, RedirectStandardOutput = true,
            RedirectStandardError = true
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (k, v) in env)
        {
            if (v is null) start.Environment.Remove(k);
            else start.Environment[k] = v;
        }
        using var p = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        whileRunning?.Invoke(p);
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException(string.Join(' ', args));
        }
        p.WaitForExit();
        lock (output) return new ProcessOutput(p.ExitCode, output.ToString());
    }
}
