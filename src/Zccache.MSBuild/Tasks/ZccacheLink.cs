using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;
using Zccache.Core.Linking;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.MSBuild.Logging;

namespace Zccache.MSBuild.Tasks;

/// <summary>What <c>ZccacheNativeOutput</c> asks the objects to become.</summary>
public enum NativeOutputKind { SharedLibrary, StaticLibrary, Executable }

/// <summary>
/// Links <c>@(ZccacheObject)</c> into the project's native library or program: a shared library or an executable
/// through the C or C++ driver (the C++ one when any source is C++), cached by the same pipeline as compiles and up
/// to date when nothing it read changed; a static library through a deterministic <c>ar</c>; cl's and clang-cl's
/// objects through link.exe or lld-link. The last two are not cached, only run when something they depend on changed
/// (<see cref="UncachedLink"/>). Link settings come with vcxproj's names (<c>&lt;ItemDefinitionGroup&gt;&lt;Link&gt;</c>).
/// </summary>
public sealed class ZccacheLink : ZccacheTask
{
    [Required] public ITaskItem[] Objects { get; set; } = [];
    /// <summary>ZccacheNativeOutput: SharedLibrary, StaticLibrary or Executable.</summary>
    [Required] public string OutputType { get; set; } = "";
    /// <summary>The library or program to write (absolute).</summary>
    [Required] public string OutputFile { get; set; } = "";
    /// <summary>ZccacheLinker: the driver to link with (empty: ZccacheCXX when any source is C++, else ZccacheCC), or an
    /// MSVC-style linker (link, lld-link); for cl's and clang-cl's objects the default is link or lld-link.</summary>
    public string Linker { get; set; } = "";
    public string CC { get; set; } = "";
    public string CXX { get; set; } = "";
    /// <summary>%(Link.AdditionalDependencies): libraries, by name or by path. For a driver <c>m</c> and <c>pthread.lib</c>
    /// become <c>-lm</c>, <c>-lpthread</c>; for link.exe a name without an extension gets <c>.lib</c>.</summary>
    public string AdditionalDependencies { get; set; } = "";
    /// <summary>%(Link.AdditionalLibraryDirectories): <c>-L</c> (or <c>/LIBPATH:</c>) folders, relative to the project.</summary>
    public string AdditionalLibraryDirectories { get; set; } = "";
    /// <summary>%(Link.AdditionalOptions): split like a shell command line for a driver, as Windows splits one for
    /// link.exe, and passed as they are.</summary>
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

        // cl's and clang-cl's objects are linked by link.exe or lld-link, uncached; a gcc-family driver's through the cache.
        string driver = Or(Linker, ObjectsDriver());
        string linker = ClCommandLine.IsClFamily(driver) ? MsvcLinker.For(driver) : driver;
        if (MsvcLinker.IsMsvcLinker(linker))
        {
            // link.exe makes Windows binaries: named for a Windows RID, or they would be copied and packed as something else.
            string expected = kind switch
            {
                NativeOutputKind.SharedLibrary => ".dll",
                NativeOutputKind.StaticLibrary => ".lib",
                _ => ".exe",
            };
            if (!OutputFile.EndsWith(expected, StringComparison.OrdinalIgnoreCase))
            {
                Log.LogError(null, ZcCodes.BadProperty, null, ProjectFile, 0, 0, 0, 0,
                    "{0} links Windows binaries, but the native output is named {1}: set a Windows RuntimeIdentifier (win-x64).",
                    linker, Path.GetFileName(OutputFile));
                return false;
            }
            return RunUncached(MsvcLink(kind, linker, objects, projectDir),
                kind == NativeOutputKind.StaticLibrary ? "archived (not cached)" : "linked (not cached)");
        }
        if (kind == NativeOutputKind.StaticLibrary)
        {
            // ar's D zeroes timestamps and ids: the same objects give the same archive.
            return RunUncached(new UncachedLink
            {
                Tool = "ar", Arguments = ["rcsD", OutputFile, .. objects], WorkingDirectory = projectDir, Output = OutputFile,
                Inputs = objects, ReplacesOutput = true,
            }, "archived");
        }
        var invocation = new CompileInvocation
        {
            Compiler = linker,
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
    /// A link the cache does not serve (a static library through ar; link.exe and lld-link), run only when its command
    /// line, the tool, an input or the output changed since it last succeeded (see <see cref="UncachedLink"/>).
    /// </summary>
    private bool RunUncached(UncachedLink link, string verb)
    {
        var run = link.Run();
        if (run?.StartError is { } why)
        {
            if (run.ExitCode == 127)
                Log.LogError(null, ZcCodes.CompilerNotFound, null, ProjectFile, 0, 0, 0, 0,
                    "the linker '{0}' was not found (set ZccacheLinker, or install it).", link.Tool);
            else
                Log.LogError(null, ZcCodes.CompilerNotRunnable, null, ProjectFile, 0, 0, 0, 0, "the linker '{0}' cannot be run: {1}.",
                    link.Tool, why);
            return false;
        }
        if (run is not null)
        {
            string output = CompilerProcess.Text(run.Stdout) + CompilerProcess.Text(run.Stderr);
            int errors = CompilerOutputLog.Write(Log, output);
            if (run.ExitCode != 0)
            {
                if (errors == 0)
                    Log.LogError(null, null, null, ProjectFile, 0, 0, 0, 0, "{0} exited with code {1}: {2}", link.Tool, run.ExitCode,
                        output.Trim());
                return false;
            }
        }
        Log.LogMessage(MessageImportance.Normal, "zccache: {0} {1}", run is null ? "up to date" : verb, Path.GetFileName(OutputFile));
        if (link.Untracked is { } untracked)
            Log.LogMessage(MessageImportance.Normal, "zccache: {0} is linked at every build: {1}.", Path.GetFileName(OutputFile),
                untracked);
        Library = new TaskItem(OutputFile);
        return !Log.HasLoggedErrors;
    }

    /// <summary>
    /// link.exe's (or lld-link's) command line, with vcxproj's meanings: a static library is the librarian's (<c>/LIB</c>),
    /// of the objects alone, as <c>ar</c>'s is; a shared library <c>/DLL</c>, with <c>/LIBPATH:</c> folders, libraries by
    /// name (<c>.lib</c> added when it has no extension) or by path, and options split as Windows splits a command line.
    /// What it reads besides the objects is <see cref="MsvcLinker.Inputs"/>.
    /// </summary>
    private UncachedLink MsvcLink(NativeOutputKind kind, string linker, List<string> objects, string projectDir)
    {
        if (kind == NativeOutputKind.StaticLibrary)
        {
            return new UncachedLink
            {
                Tool = linker, Arguments = ["/LIB", "/NOLOGO", "/OUT:" + OutputFile, .. objects], WorkingDirectory = projectDir,
                Output = OutputFile, Inputs = objects, Variables = MsvcLinker.Variables,
            };
        }
        var libPaths = Split(AdditionalLibraryDirectories).Select(d => Path.GetFullPath(d, projectDir)).ToList();
        var libraries = Split(AdditionalDependencies)
            .Select(d => d.Contains('/') || d.Contains('\\') ? Path.GetFullPath(d, projectDir) : MsvcLinker.LibraryName(d)).ToList();
        var options = WindowsCommandLine.Split(AdditionalOptions);
        var read = MsvcLinker.Inputs(projectDir, objects, libPaths, libraries, options, Environment.GetEnvironmentVariable("LINK"),
            Environment.GetEnvironmentVariable("_LINK_"), Environment.GetEnvironmentVariable("LIB"));
        string[] mode = kind == NativeOutputKind.SharedLibrary ? ["/NOLOGO", "/DLL"] : ["/NOLOGO"];
        return new UncachedLink
        {
            Tool = linker,
            Arguments = [.. mode, "/OUT:" + OutputFile, .. objects, .. libPaths.Select(d => "/LIBPATH:" + d), .. libraries, .. options],
            WorkingDirectory = projectDir, Output = OutputFile, Inputs = [.. objects, .. read.Files], Variables = MsvcLinker.Variables,
            Companions = MsvcLinker.Companions(OutputFile), Untracked = read.Untracked,
        };
    }

    /// <summary>The compiler of the objects: the C++ one when any object came from C++ (its runtime must be linked), else
    /// the C one.</summary>
    private string ObjectsDriver()
    {
        bool anyCxx = Objects.Any(o =>
            !ClCompileItem.CompilesAsC(new TaskItem(o.GetMetadata("Source"),
                new Dictionary<string, string> { ["CompileAs"] = o.GetMetadata("CompileAs") })));
        var (cc, cxx) = ClCompileItem.Compilers(CC, CXX);
        return anyCxx ? cxx : cc;
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
