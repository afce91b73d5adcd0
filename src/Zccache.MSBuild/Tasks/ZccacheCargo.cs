using System.Collections;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.Core.Cargo;
using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// <c>&lt;CargoCrate Include="rust/Cargo.toml" Profile="release" /&gt;</c>: runs <c>cargo build</c> for each crate in
/// the node's environment, where the session's RUSTC_WRAPPER (the launcher) already is, so rustc's compiles are cached
/// and counted; cargo's own up-to-date check decides what is rebuilt. Its target folder is under obj/. Returns the
/// cdylib and staticlib files cargo reported, and shows rustc's diagnostics at their file and line.
/// </summary>
public sealed class ZccacheCargo : Microsoft.Build.Utilities.Task
{
    /// <summary>The crates; metadata: Profile, Features, Target, CargoArgs.</summary>
    [Required] public ITaskItem[] Crates { get; set; } = [];
    /// <summary>CARGO_TARGET_DIR for every crate of the project.</summary>
    [Required] public string TargetDirectory { get; set; } = "";
    /// <summary>The profile when an item names none: <c>release</c> for a Release configuration, else <c>dev</c>.</summary>
    public string Configuration { get; set; } = "";
    /// <summary>ZccacheCargo: the cargo to run.</summary>
    public string Cargo { get; set; } = "cargo";
    public string ProjectFile { get; set; } = "";

    /// <summary>The cdylib files (copied to the output and packed like a linked shared library).</summary>
    [Output] public ITaskItem[] SharedLibraries { get; set; } = [];
    /// <summary>The staticlib files.</summary>
    [Output] public ITaskItem[] StaticLibraries { get; set; } = [];

    public override bool Execute()
    {
        var shared = new List<ITaskItem>();
        var archives = new List<ITaskItem>();
        foreach (ITaskItem crate in Crates)
            foreach (var artifact in Build(crate))
                (artifact.Kind == CrateLibraryKind.Cdylib ? shared : archives)
                    .Add(new TaskItem(artifact.Path, new Dictionary<string, string> { ["Crate"] = crate.ItemSpec }));
        SharedLibraries = [.. shared];
        StaticLibraries = [.. archives];
        return !Log.HasLoggedErrors;
    }

    private List<CargoArtifact> Build(ITaskItem crate)
    {
        string manifest = crate.GetMetadata("FullPath");
        if (!File.Exists(manifest))
        {
            Log.LogError(null, ZcCodes.CrateNotFound, null, ProjectFile, 0, 0, 0, 0, "CargoCrate '{0}': no such file ({1}).",
                crate.ItemSpec, manifest);
            return [];
        }
        string profile = crate.GetMetadata("Profile").Trim();
        if (profile.Length == 0) profile = Configuration.Equals("Release", StringComparison.OrdinalIgnoreCase) ? "release" : "dev";
        string manifestText;
        try { manifestText = File.ReadAllText(manifest); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.LogError(null, ZcCodes.CrateNotFound, null, ProjectFile, 0, 0, 0, 0, "CargoCrate '{0}': {1} cannot be read ({2}).",
                crate.ItemSpec, manifest, e.Message);
            return [];
        }
        if (!CargoBuild.IsKnownProfile(profile, manifestText))
        {
            Log.LogError(null, ZcCodes.BadProperty, null, ProjectFile, 0, 0, 0, 0,
                "CargoCrate '{0}': Profile '{1}' is not {2} or a [profile.{1}] of the manifest.", crate.ItemSpec, profile,
                string.Join(", ", CargoBuild.BuiltInProfiles));
            return [];
        }

        string crateDir = Path.GetDirectoryName(manifest)!;
        var args = CargoBuild.Arguments(manifest, profile, crate.GetMetadata("Features"), crate.GetMetadata("Target"),
            crate.GetMetadata("CargoArgs"));
        Log.LogMessage(MessageImportance.Normal, "zccache: {0} {1}", Cargo, string.Join(' ', args));
        var run = CompilerProcess.Run(Cargo, args, crateDir, Environment(TargetDirectory));
        if (run.StartError is not null)
        {
            Log.LogError(null, ZcCodes.CompilerNotFound, null, ProjectFile, 0, 0, 0, 0,
                "cargo ('{0}') cannot be run: {1} (install it, or set ZccacheCargo).", Cargo, run.StartError);
            return [];
        }

        var (artifacts, diagnostics) = CargoBuild.Read(CompilerProcess.Text(run.Stdout), crateDir);
        foreach (var d in diagnostics)
        {
            string file = d.File ?? manifest;
            if (d.IsError) Log.LogError(null, d.Code, null, file, d.Line, d.Column, d.EndLine, d.EndColumn, "{0}", d.Message);
            else Log.LogWarning(null, d.Code, null, file, d.Line, d.Column, d.EndLine, d.EndColumn, "{0}", d.Message);
            Log.LogMessage(MessageImportance.Low, "{0}", d.Rendered.TrimEnd());
        }
        string stderr = CompilerProcess.Text(run.Stderr).Trim();
        foreach (string line in stderr.Split('\n'))
            if (line.Length > 0) Log.LogMessage(MessageImportance.Normal, "{0}", line.TrimEnd('\r'));
        // Cargo's own failures (a bad manifest, a crate it cannot fetch) are text on standard error.
        if (run.ExitCode != 0 && !diagnostics.Any(d => d.IsError))
            Log.LogError(null, null, null, manifest, 0, 0, 0, 0, "cargo exited with code {0}: {1}", run.ExitCode, stderr);
        return run.ExitCode == 0 ? artifacts : [];
    }

    /// <summary>This node's environment (the session's RUSTC_WRAPPER and ZCCACHE_* in it), with the target folder under obj/
    /// and incremental compilation off unless the user set it (its state under
    /// obj/ goes with every clean; the cache serves the crates).</summary>
    private static Dictionary<string, string> Environment(string targetDir)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
        env["CARGO_TARGET_DIR"] = Path.GetFullPath(targetDir);
        env.TryAdd("CARGO_INCREMENTAL", "0");
        return env;
    }
}
