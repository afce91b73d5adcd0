using System.Text.Json;
using System.Text.RegularExpressions;

namespace Zccache.Core.Cargo;

/// <summary>The native libraries a crate can make, as cargo names its crate types.</summary>
public enum CrateLibraryKind { Cdylib, Staticlib }

/// <summary>A library cargo reported writing (a <c>compiler-artifact</c> line), fresh or rebuilt.</summary>
public sealed record CargoArtifact(CrateLibraryKind Kind, string Path);

/// <summary>A rustc diagnostic from cargo's JSON messages, at its primary span (absolute file; 0 when it has none).</summary>
public sealed record CargoDiagnostic(bool IsError, string? Code, string Message, string? File, int Line, int Column, int EndLine,
    int EndColumn, string Rendered);

/// <summary>
/// <c>cargo build</c> for a <c>&lt;CargoCrate&gt;</c> item: its command line, and what its JSON messages
/// (<c>--message-format=json</c>) say: the crate's cdylib and staticlib files, named by cargo itself, and rustc's
/// diagnostics with their locations.
/// </summary>
public static partial class CargoBuild
{
    /// <summary>Cargo's own profiles; a manifest may add others (<c>[profile.NAME]</c>).</summary>
    public static readonly string[] BuiltInProfiles = ["dev", "release", "test", "bench"];

    /// <summary>True when <paramref name="profile"/> is built in or defined by the manifest text.</summary>
    public static bool IsKnownProfile(string profile, string manifestText) =>
        BuiltInProfiles.Contains(profile, StringComparer.Ordinal)
        || (ProfileName().IsMatch(profile)
            && Regex.IsMatch(manifestText, $@"^\s*\[profile\.(""?){Regex.Escape(profile)}\1\]", RegexOptions.Multiline));

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex ProfileName();

    /// <summary>The arguments of <c>cargo build</c> for one crate (<paramref name="extra"/>: CargoArgs, split like a shell line).</summary>
    public static List<string> Arguments(string manifest, string profile, string features, string target, string extra)
    {
        List<string> args = ["build", "--manifest-path", manifest, "--profile", profile, "--message-format=json"];
        string joined = string.Join(',',
            features.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (joined.Length > 0) args.AddRange(["--features", joined]);
        if (!string.IsNullOrWhiteSpace(target)) args.AddRange(["--target", target.Trim()]);
        if (!string.IsNullOrWhiteSpace(extra)) args.AddRange(Compilers.CommandLineText.Split(extra));
        return args;
    }

    /// <summary>
    /// Cargo's standard output: the cdylib/staticlib files of packages under <paramref name="crateDir"/> (the crate or its
    /// workspace members, not registry dependencies), and rustc's diagnostics (file names are relative to the workspace
    /// root, which for a single crate is its folder). The closing "aborting due to…"/"N warnings emitted" lines are left out.
    /// </summary>
    public static (List<CargoArtifact> Artifacts, List<CargoDiagnostic> Diagnostics) Read(string stdout, string crateDir)
    {
        var artifacts = new List<CargoArtifact>();
        var diagnostics = new List<CargoDiagnostic>();
        foreach (string line in stdout.Split('\n'))
        {
            if (!line.StartsWith('{')) continue;
            JsonElement root;
            try { root = JsonDocument.Parse(line).RootElement; }
            catch (JsonException) { continue; }
            string? reason = Text(root, "reason");
            if (reason == "compiler-artifact" && Text(root, "manifest_path") is { } manifest && IsUnder(manifest, crateDir)
                && root.TryGetProperty("target", out var target) && target.TryGetProperty("crate_types", out var types)
                && root.TryGetProperty("filenames", out var files))
            {
                var kinds = types.EnumerateArray().Select(t => t.GetString()).ToList();
                foreach (string file in files.EnumerateArray().Select(f => f.GetString() ?? ""))
                {
                    string ext = Path.GetExtension(file);
                    if (kinds.Contains("cdylib") && ext is ".so" or ".dylib" or ".dll") artifacts.Add(new(CrateLibraryKind.Cdylib, file));
                    else if (kinds.Contains("staticlib") && ext is ".a" or ".lib" && !file.EndsWith(".dll.lib", StringComparison.Ordinal))
                        artifacts.Add(new(CrateLibraryKind.Staticlib, file));
                }
            }
            else if (reason == "compiler-message" && root.TryGetProperty("message", out var message)
                && Diagnostic(message, crateDir) is { } d)
                diagnostics.Add(d);
        }
        return (artifacts, diagnostics);
    }

    private static CargoDiagnostic? Diagnostic(JsonElement message, string crateDir)
    {
        string level = Text(message, "level") ?? "";
        bool isError = level.StartsWith("error", StringComparison.Ordinal);
        if (!isError && level != "warning") return null;
        string text = Text(message, "message") ?? "";
        var spans = message.TryGetProperty("spans", out var s) ? s.EnumerateArray().ToList() : [];
        if (spans.Count == 0
            && (text.StartsWith("aborting due to", StringComparison.Ordinal) || text.EndsWith(" emitted", StringComparison.Ordinal)))
            return null;
        string? code = message.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Object ? Text(c, "code") : null;
        string rendered = Text(message, "rendered") ?? text;
        var primary = spans.FirstOrDefault(p => p.TryGetProperty("is_primary", out var b) && b.ValueKind == JsonValueKind.True);
        if (primary.ValueKind != JsonValueKind.Object) return new(isError, code, text, null, 0, 0, 0, 0, rendered);
        string file = Located(Text(primary, "file_name") ?? "", crateDir);
        return new(isError, code, text, file, Number(primary, "line_start"), Number(primary, "column_start"),
            Number(primary, "line_end"), Number(primary, "column_end"), rendered);
    }

    /// <summary>A span's file: relative to the workspace root, which is the crate's folder or one above it.</summary>
    private static string Located(string fileName, string crateDir)
    {
        if (Path.IsPathRooted(fileName)) return fileName;
        for (string? dir = Path.GetFullPath(crateDir); dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Join(dir, fileName))) return Path.Join(dir, fileName);
        return Path.GetFullPath(fileName, crateDir);
    }

    private static bool IsUnder(string path, string dir) =>
        Path.GetFullPath(path)
            .StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt32(out int n) ? n : 0;
}
