using System.Text.Json;
using System.Text.RegularExpressions;

namespace Zccache.Testing;

/// <summary>The finalized stats a build wrote to its stats file.</summary>
public sealed record Stats(string SessionId, long Compilations, long Hits, long Misses, long NonCacheable, long Errors, long ErrorsCached,
    long UniqueSources, long BytesRead, long BytesWritten, double? HitRate, long RemoteHits, long UpToDate, long TimeSavedMs,
    long WallTimeSavedMs, long RemoteFaults)
{
    public long LinkHits { get; init; }
    public long LinkMisses { get; init; }
    public long LinkUpToDate { get; init; }
    /// <summary>(link hits, link misses, links up to date).</summary>
    public (long, long, long) Links => (LinkHits, LinkMisses, LinkUpToDate);

    public static Stats Read(string path)
    {
        var e = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        long L(string n) => e.GetProperty(n).GetInt64();
        var rate = e.GetProperty("hit_rate");
        return new Stats(e.GetProperty("session_id").GetString()!, L("compilations"), L("hits"), L("misses"), L("non_cacheable"),
            L("errors"), L("errors_cached"), L("unique_sources"), L("bytes_read"), L("bytes_written"),
            rate.ValueKind == JsonValueKind.Null ? null : rate.GetDouble(),
            L("remote_hits"), L("up_to_date"), L("time_saved_ms"), L("wall_time_saved_ms"), L("remote_faults"))
        {
            LinkHits = L("link_hits"), LinkMisses = L("link_misses"), LinkUpToDate = L("link_up_to_date"),
        };
    }
}

/// <summary>A tool a test ran (<see cref="Workspace.Exec"/>): its exit code and both streams.</summary>
public sealed record ToolRun(int ExitCode, byte[] Stdout, byte[] Stderr)
{
    public string Out => System.Text.Encoding.UTF8.GetString(Stdout);
    public string Err => System.Text.Encoding.UTF8.GetString(Stderr);
}

public sealed record BuildResult(int ExitCode, string Output, Stats? Stats)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The summary lines the build printed ("… -> zccache: N compilations, …").</summary>
    public IReadOnlyList<string> SummaryLines =>
        [.. Output.Split('\n').Where(l => Regex.IsMatch(l, @"-> zccache: \d+ compilation")).Select(l => l.Trim())];
}

/// <summary>A folder with generated projects, a local NuGet feed and a private cache, and a way to build them.</summary>
public sealed class Workspace : IDisposable
{
    private readonly PackageFeed _feed;
    private int _builds;

    public Workspace(PackageFeed feed, string name)
    {
        _feed = feed;
        Root = Path.Join(feed.Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        CacheDir = Path.Join(Root, "cache");
        Directory.CreateDirectory(Root);
        File.WriteAllText(Path.Join(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="zccache-e2e" value="{feed.Feed}" />
              </packageSources>
            </configuration>
            """);
    }

    /// <summary>A workspace with an empty <paramref name="folder"/> in it.</summary>
    public static Workspace WithFolder(PackageFeed feed, string name, string folder)
    {
        var ws = new Workspace(feed, name);
        Directory.CreateDirectory(ws[folder]);
        return ws;
    }

    public string Root { get; }
    public string CacheDir { get; }
    public string PackageVersion => _feed.Version;

    public string this[string relative] => Path.Join(Root, relative);

    /// <summary>The cache's stamp of its last trim (by any process); a store trims when it is over a minute old.</summary>
    public string LastTrimFile => Path.Join(CacheDir, "v1", "last-trim");

    /// <summary>
    /// Plants <paramref name="count"/> entries of 8 KiB in the cache, last used ten minutes ago (older than eviction's grace
    /// period), so that any one of them is over 90% of an 8K budget, and makes a trim due: the last one five minutes ago.
    /// Returns the entries' folders.
    /// </summary>
    public IReadOnlyList<string> PlantOldEntriesAndMakeTrimDue(int count = 20)
    {
        var planted = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string entry = Path.Join(CacheDir, "v1", "entries", $"{i:x2}", $"{i:x2}" + new string('e', 62));
            Directory.CreateDirectory(entry);
            File.WriteAllBytes(Path.Join(entry, "meta"), new byte[8 * 1024]);
            File.SetLastWriteTimeUtc(Path.Join(entry, "meta"), DateTime.UtcNow.AddMinutes(-10));
            planted.Add(entry);
        }
        File.SetLastWriteTimeUtc(LastTrimFile, DateTime.UtcNow.AddMinutes(-5));
        return planted;
    }

    /// <summary>
    /// Writes a file with its mtime a minute back, as a checkout's files are: past the cache's two-second racy window,
    /// so whether a later build trusts it by its stamp does not depend on how fast the machine is.
    /// </summary>
    public string Write(string relative, string text)
    {
        string path = Path.Join(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        return path;
    }

    /// <summary>A <c>.cargo/config.toml</c> in <paramref name="crateDir"/> that builds
    /// offline from Debian's packaged crates (/usr/share/cargo/registry).</summary>
    public string DebianCrates(string crateDir) => Write(crateDir + "/.cargo/config.toml", """
        [source.crates-io]
        replace-with = "debian"
        [source.debian]
        directory = "/usr/share/cargo/registry"
        [net]
        offline = true
        """);

    /// <summary>An SDK-style project that references the package; <paramref name="body"/> goes inside &lt;Project&gt;.</summary>
    public string Project(string relative, string body, string properties = "")
    {
        return Write(relative, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <NuGetAudit>false</NuGetAudit>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Zccache.MSBuild" Version="{PackageVersion}" PrivateAssets="all" />
              </ItemGroup>
              {body}
            </Project>
            """);
    }

    /// <summary>Runs <c>dotnet build</c> (or another command) here with the stats file set; returns output and stats.</summary>
    public BuildResult Build(string target, params string[] extra) => Run(["build", target, .. extra], new());

    /// <param name="defaultSigint">The build starts with SIGINT at its default action, as in a terminal, whatever this process
    /// inherited: a non-interactive shell's background job ignores SIGINT, an ignored signal stays ignored across exec, and
    /// .NET then never raises Ctrl+C. (Through perl, which Debian always has: no shell can undo an inherited ignore.)</param>
    public BuildResult Run(string[] args, Dictionary<string, string?> env, bool withStats = true,
        Action<System.Diagnostics.Process>? whileRunning = null, bool defaultSigint = false)
    {
        string stats = Path.Join(Root, $"stats-{Interlocked.Increment(ref _builds)}.json");
        var environment = new Dictionary<string, string?>
        {
            ["ZCCACHE_CACHE_DIR"] = CacheDir,
            ["NUGET_PACKAGES"] = _feed.Packages,
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["ZCCACHE_SESSION_ID"] = null,
            ["ZCCACHE_SESSION_INJECTED"] = null,
            ["ZCCACHE_PROJECT"] = null,
            ["ZCCACHE_DISABLE"] = null,
            ["RUSTC_WRAPPER"] = null,
            ["CMAKE_C_COMPILER_LAUNCHER"] = null,
            ["CMAKE_CXX_COMPILER_LAUNCHER"] = null,
            ["ZCCACHE_JOURNAL"] = null,
            ["ZCCACHE_REMOTE"] = null,
            ["ZCCACHE_REMOTE_READ_ONLY"] = null,
            ["ZCCACHE_REMOTE_SIGNING_KEY"] = null,
            ["ZCCACHE_BASEDIR"] = null,
            ["ZCCACHE_PREFIX_COMMAND"] = null,
            ["ZCCACHE_CACHE_SIZE"] = null,
            ["GITHUB_EVENT_NAME"] = null,
            ["BUILD_REASON"] = null,
            ["ZCCACHE_PROFILE"] = null,
            ["ZCCACHE_CI_SUMMARY"] = null,
            ["GITHUB_ACTIONS"] = null,
            ["GITHUB_STEP_SUMMARY"] = null,
            ["TF_BUILD"] = null,
            ["AGENT_TEMPDIRECTORY"] = null,
            ["CC"] = null,
            ["CXX"] = null,
        };
        foreach (var (k, v) in env) environment[k] = v;
        string[] all = withStats ? [.. args, "-nologo", "-p:ZccacheStatsFile=" + stats] : [.. args, "-nologo"];
        var r = defaultSigint
            ? Dotnet.Run(Root, ["-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\"", "dotnet", .. all], environment, "perl",
                whileRunning)
            : Dotnet.Run(Root, all, environment, whileRunning: whileRunning);
        return new BuildResult(r.ExitCode, r.Output, File.Exists(stats) ? Stats.Read(stats) : null);
    }

    /// <summary>The lines of a compile journal (<c>ZccacheJournal</c>) a build wrote here, parsed.</summary>
    public List<JsonElement> Journal(string relative) =>
        [.. File.ReadAllLines(this[relative]).Select(l => JsonDocument.Parse(l).RootElement)];

    /// <summary>Every object file under <paramref name="relativeDir"/>, by path relative to it, with its bytes.</summary>
    public SortedDictionary<string, byte[]> Objects(string relativeDir, string pattern = "*.o")
    {
        string dir = Path.Join(Root, relativeDir);
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        if (!Directory.Exists(dir)) return result;
        foreach (string f in Directory.EnumerateFiles(dir, pattern, SearchOption.AllDirectories))
            result[Path.GetRelativePath(dir, f)] = File.ReadAllBytes(f);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="executable"/> (the launcher, a compiler) in <c>src/</c> with this workspace's cache, as a build
    /// tool would be run: without the session, remote, signing key, prefix command or disable switch of the test's own
    /// environment, and with messages in English (<c>LC_ALL=C</c>); <paramref name="env"/> sets variables (null: removes one).
    /// </summary>
    public ToolRun Exec(string executable, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string?>>? env = null)
    {
        var start = new System.Diagnostics.ProcessStartInfo(executable)
        {
            WorkingDirectory = this["src"], RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["ZCCACHE_CACHE_DIR"] = CacheDir;
        foreach (string name in new[] { "ZCCACHE_SESSION_ID", "ZCCACHE_REMOTE", "ZCCACHE_REMOTE_SIGNING_KEY", "ZCCACHE_DISABLE",
            "ZCCACHE_PREFIX_COMMAND" })
            start.Environment.Remove(name);
        start.Environment["LC_ALL"] = "C";
        foreach (var (name, value) in env ?? [])
            if (value is null) start.Environment.Remove(name); else start.Environment[name] = value;
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var o = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var e = p.StandardError.BaseStream.CopyToAsync(stderr);
        p.WaitForExit();
        Task.WaitAll(o, e);
        return new ToolRun(p.ExitCode, stdout.ToArray(), stderr.ToArray());
    }

    /// <summary>Writes <c>src/</c><paramref name="name"/> with its time a minute back: settled, so a hit can be trusted by stamp.</summary>
    public void Source(string name, string text) => File.SetLastWriteTimeUtc(Write("src/" + name, text), DateTime.UtcNow.AddMinutes(-1));

    /// <summary>
    /// Sets the time of every file under <paramref name="relativeDir"/> matching <paramref name="pattern"/> a minute back:
    /// files written moments ago are not trusted by their stamps, so what read them is checked again next build.
    /// </summary>
    public void Settle(string relativeDir, string pattern)
    {
        foreach (string f in Directory.EnumerateFiles(Path.Join(Root, relativeDir), pattern, SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(-1));
    }

    public void Delete(string relative)
    {
        string path = Path.Join(Root, relative);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Small but real C and C++ sources: a C hash table, a C++ tokenizer with the STL, shared headers.</summary>
public static class NativeSources
{
    public static void WriteLibrary(Workspace ws, string dir)
    {
        ws.Write($"{dir}/include/config.h", """
            #pragma once
            #ifndef FOO
            #define FOO 0
            #endif
            #define TABLE_SIZE (64 * (FOO + 1))
            """);
        ws.Write($"{dir}/include/table.h", """
            #pragma once
            #include <stddef.h>
            #include "config.h"
            #ifdef __cplusplus
            extern "C" {
            #endif
            typedef struct entry { const char *key; int value; struct entry *next; } entry;
            typedef struct table { entry *slots[TABLE_SIZE]; size_t count; } table;
            unsigned long table_hash(const char *key);
            int table_put(table *t, const char *key, int value);
            int table_get(const table *t, const char *key, int *value);
            #ifdef __cplusplus
            }
            #endif
            """);
        ws.Write($"{dir}/src/table.c", """
            #include <stdlib.h>
            #include <string.h>
            #include "table.h"

            unsigned long table_hash(const char *key) {
                unsigned long h = 5381;
                for (const unsigned char *p = (const unsigned char *)key; *p; ++p) h = h * 33u ^ *p;
                return h % TABLE_SIZE;
            }

            int table_put(table *t, const char *key, int value) {
                unsigned long h = table_hash(key);
                for (entry *e = t->slots[h]; e; e = e->next)
                    if (strcmp(e->key, key) == 0) { e->value = value; return 0; }
                entry *e = malloc(sizeof *e);
                if (!e) return -1;
                e->key = key; e->value = value; e->next = t->slots[h];
                t->slots[h] = e;
                t->count++;
                return 1;
            }

            int table_get(const table *t, const char *key, int *value) {
                for (entry *e = t->slots[table_hash(key)]; e; e = e->next)
                    if (strcmp(e->key, key) == 0) { *value = e->value; return 1; }
                return 0;
            }
            """);
        ws.Write($"{dir}/src/tokenize.cpp", """
            #include <algorithm>
            #include <cctype>
            #include <map>
            #include <string>
            #include <vector>
            #include "table.h"

            std::vector<std::string> tokenize(const std::string &text) {
                std::vector<std::string> words;
                std::string current;
                for (char c : text) {
                    if (std::isalnum(static_cast<unsigned char>(c))) current += static_cast<char>(std::tolower(c));
                    else if (!current.empty()) { words.push_back(current); current.clear(); }
                }
                if (!current.empty()) words.push_back(current);
                return words;
            }

            std::map<std::string, int> histogram(const std::string &text) {
                std::map<std::string, int> counts;
                for (const auto &w : tokenize(text)) counts[w] += FOO;
                return counts;
            }
            """);
        ws.Write($"{dir}/src/util/format.cpp", """
            #include <sstream>
            #include <string>

            std::string format_count(const std::string &word, int n) {
                std::ostringstream out;
                out << word << ": " << n;
                return out.str();
            }
            """);
        // Same file name as src/table.c in another folder: the objects must not collide.
        ws.Write($"{dir}/src/util/table.c", """
            int util_table_version(void) { return 2; }
            """);
    }

    /// <summary>The ClCompile items for <see cref="WriteLibrary"/>.</summary>
    public static string Items(string dir = "native", string defines = "FOO=1") => $"""
        <ItemGroup>
          <ClCompile Include="{dir}/src/**/*.c;{dir}/src/**/*.cpp"
                     AdditionalIncludeDirectories="{dir}/include"
                     PreprocessorDefinitions="{defines}" />
        </ItemGroup>
        """;
}
