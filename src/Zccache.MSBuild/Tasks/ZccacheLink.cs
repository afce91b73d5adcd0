using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.MSBuild.Logging;

namespace Zccache.MSBuild.Tasks;

/// <summary>What <c>ZccacheNativeOutput</c> asks the objects to become.</summary>
public enum NativeOutputKind { SharedLibrary, StaticLibrary, Executable }

/// <summary>
/// Links <c>@(ZccacheObject)</c> into the project's native library or program: a shared library or an executable
/// through the C or C++ driver (the C++ one when any source is C++), cached by the same pipeline as compiles and up
/// to date when nothing it read changed; a static library through a deterministic <c>ar</c>. Link settings come with
/// vcxproj's names (<c>&lt;ItemDefinitionGroup&gt;&lt;Link&gt;</c>).
/// </summary>
public sealed class ZccacheLink : ZccacheTask
{
    [Required] public ITaskItem[] Objects { get; set; } = [];
    /// <summary>ZccacheNativeOutput: SharedLibrary, StaticLibrary or Executable.</summary>
    [Required] public string OutputType { get; set; } = "";
    /// <summary>The library or program to write (absolute).</summary>
    [Required] public string OutputFile { get; set; } = "";
    /// <summary>ZccacheLinker: the driver to link with; empty means ZccacheCXX when any source is C++, else ZccacheCC.</summary>
    public string Linker { get; set; } = "";
    public string CC { get; set; } = "";
    public string CXX { get; set; } = "";
    /// <summary>%(Link.AdditionalDependencies): libraries, by name (<c>m</c>,
    /// <c>pthread.lib</c> → <c>-lm</c>, <c>-lpthread</c>) or by path.</summary>
    public string AdditionalDependencies { get; set; } = "";
    /// <summary>%(Link.AdditionalLibraryDirectories): <c>-L</c> folders, relative to the project.</summary>
    public string AdditionalLibraryDirectories { get; set; } = "";
    /// <summary>%(Link.AdditionalOptions): split like a shell command line and passed as they are.</summary>
    public string AdditionalOptions { get; set; } = "";
    public string ProjectDirectory { get; set; } = "";
    public string ProjectFile { get; set; } = "";
    public bool Enabled { get; set; } = true;
    public string SessionId { get; set; } = "";
    /// <summary>ZccacheRemote and ZccacheRemoteReadOnly: links are shared through the remote cache as compiles are.</summary>
    public string Remote { get; set; } = "";
    public string RemoteReadOnly { get; set; } = "";
    /// <summary>ZccacheCacheSize: the budget the whole cache is kept to after a store; empty: the default. (A value that
    /// is not a size is said once per build, by ZccacheStartSession; here it means the default.)</summary>
    public string CacheSize { get; set; } = "";
    /// <summary>Where this project keeps what produced its outputs (see
    /// <see cref="ObjectLedger"/>): no relink when nothing changed.</summary>
    public string StateFile { get; set; } = "";

    [Output] public ITaskItem? Library { get; set; }

    public override bool Execute()
    {
        if (!Enum.TryParse(OutputType.Trim(), ignoreCase: true, out NativeOutputKind kind))
        {
            Log.LogError(null, ZcCodes.BadProperty, null, null, 0, 0, 0, 0,
                "ZccacheNativeOutput '{0}' is not SharedLibrary, StaticLibrary or Executable.", OutputType);
            return false;
        }
        string projectDir = string.IsNullOrEmpty(ProjectDirectory) ? Directory.GetCurrentDirectory() : ProjectDirectory;
        Directory.CreateDirectory(Path.GetDirectoryName(OutputFile)!);
        var objects = Objects.Select(o => o.GetMetadata("FullPath")).ToList();

        if (kind == NativeOutputKind.StaticLibrary) return Archive(objects, projectDir);
        var invocation = new CompileInvocation
        {
            Compiler = Driver(),
            Arguments = [.. (kind == NativeOutputKind.SharedLibrary ? ["-shared"] : Array.Empty<string>()), "-o", OutputFile, .. objects,
                .. LinkArguments(projectDir)],
            WorkingDirectory = projectDir,
        };

        var (cache, session) = Open(Settings(Enabled, SessionId, ProjectFile, Remote, RemoteReadOnly, CacheSize));
        ObjectLedger? ledger = cache.IsEnabled && !string.IsNullOrWhiteSpace(StateFile)
            ? ObjectLedger.Load(Path.GetFullPath(StateFile, projectDir)) : null;

        CompileResult result = cache.Compile(invocation, session, ledger, OutputFile);
        ledger?.Save();
        LogResult(Path.GetFileName(OutputFile), ProjectFile, invocation, result);
        if (result.ExitCode == 0) Library = new TaskItem(OutputFile);
        return !Log.HasLoggedErrors;
    }

    /// <summary>
    /// A static library: archiving is cheap and not cached, but it is redone only when an object is newer than the
    /// archive or the list of objects changed (kept beside it), so a no-change build leaves the library untouched.
    /// <c>ar</c>'s <c>D</c> zeroes timestamps and ids: the same objects give the same archive.
    /// </summary>
    private bool Archive(List<string> objects, string projectDir)
    {
        string listFile = OutputFile + ".objects";
        string list = string.Join('\n', objects);
        bool upToDate = File.Exists(OutputFile) && File.Exists(listFile) && File.ReadAllText(listFile) == list
            && objects.All(o => File.Exists(o) && File.GetLastWriteTimeUtc(o) <= File.GetLastWriteTimeUtc(OutputFile));
        if (!upToDate)
        {
            if (File.Exists(OutputFile)) File.Delete(OutputFile);
            var run = CompilerProcess.Run("ar", ["rcsD", OutputFile, .. objects], projectDir, null);
            string output = CompilerProcess.Text(run.Stdout) + CompilerProcess.Text(run.Stderr);
            if (run.ExitCode != 0)
            {
                Log.LogError(null, null, null, ProjectFile, 0, 0, 0, 0, "ar exited with code {0}: {1}", run.ExitCode, run.StartError
                    ?? output.Trim());
                return false;
            }
            File.WriteAllText(listFile, list);
        }
        Log.LogMessage(MessageImportance.Normal, "zccache: {0} {1}", upToDate ? "up to date" : "archived", Path.GetFileName(OutputFile));
        Library = new TaskItem(OutputFile);
        return true;
    }

    /// <summary>The C++ driver when any object came from C++ (its runtime must be linked), else the C one; ZccacheLinker wins.</summary>
    private string Driver()
    {
        if (!string.IsNullOrWhiteSpace(Linker)) return Linker.Trim();
        bool anyCxx = Objects.Any(o =>
            !ClCompileItem.CompilesAsC(new TaskItem(o.GetMetadata("Source"),
                new Dictionary<string, string> { ["CompileAs"] = o.GetMetadata("CompileAs") })));
        return anyCxx ? Or(CXX, "g++") : Or(CC, "gcc");
    }

    private IEnumerable<string> LinkArguments(string projectDir)
    {
        foreach (string dir in Split(AdditionalLibraryDirectories)) yield return "-L" + Path.GetFullPath(dir, projectDir);
        foreach (string dependency in Split(AdditionalDependencies))
        {
            // A path (or a file name with a library extension) is passed as it is; a bare name is a -l.
            if (dependency.Contains('/') || dependency.Contains('\\') || dependency.EndsWith(".a", StringComparison.Ordinal)
                || dependency.EndsWith(".so", StringComparison.Ordinal))
                yield return Path.GetFullPath(dependency, projectDir);
            else yield return "-l" + (dependency.EndsWith(".lib", StringComparison.OrdinalIgnoreCase) ? dependency[..^4] : dependency);
        }
        if (!string.IsNullOrWhiteSpace(AdditionalOptions))
            foreach (string option in CommandLineText.Split(AdditionalOptions)) yield return option;
    }

    private static IEnumerable<string> Split(string list) =>
        list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(v => !v.StartsWith("%(", StringComparison.Ordinal));

    private static string Or(string value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
}
