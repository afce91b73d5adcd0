using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.Core.Compilers;
using Zccache.Core.Diagnostics;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.MSBuild.Logging;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// Compiles <c>ClCompile</c> items to objects through the cache, in parallel, and returns the
/// objects as items. With <see cref="Enabled"/> false it compiles the same command lines plainly.
/// </summary>
// MSBuild never disposes a task; the token source holds no handle unless its WaitHandle is asked for (never here).
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "MSBuild does not dispose tasks")]
public sealed class ZccacheCompile : ZccacheTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>Ctrl+C: no new compile starts; the ones running finish (a compile is seconds at most), then the task returns.</summary>
    public void Cancel() => _cancel.Cancel();

    [Required] public ITaskItem[] Sources { get; set; } = [];
    [Required] public string ObjectDirectory { get; set; } = "";
    public string ProjectDirectory { get; set; } = "";
    /// <summary>$(MSBuildProjectFullPath): the project the compiles are counted for.</summary>
    public string ProjectFile { get; set; } = "";
    public string CC { get; set; } = "";
    public string CXX { get; set; } = "";
    public bool Enabled { get; set; } = true;
    public string SessionId { get; set; } = "";
    /// <summary>ZccacheBaseDir: paths under it are keyed relative to it, so checkouts at different paths share entries.</summary>
    public string BaseDir { get; set; } = "";
    /// <summary>ZccachePrefixCommand: misses run as <c>&lt;prefix&gt;
    /// &lt;compiler&gt; &lt;args&gt;</c> (distcc, icecc); empty: none.</summary>
    public string PrefixCommand { get; set; } = "";

    /// <summary>ZccacheRemote and ZccacheRemoteReadOnly: the shared remote cache behind the local one.</summary>
    public string Remote { get; set; } = "";
    public string RemoteReadOnly { get; set; } = "";
    /// <summary>ZccacheCacheSize: the budget the whole cache is kept to after a store; empty: the default. (A value that
    /// is not a size is said once per build, by ZccacheStartSession; here it means the default.)</summary>
    public string CacheSize { get; set; } = "";

    /// <summary>
    /// Where this project instance keeps what produced each object (<see cref="ObjectLedger"/>): an object whose inputs
    /// have not changed since is up to date, with no lookup and no compile. Empty: every item goes through the cache.
    /// </summary>
    public string StateFile { get; set; } = "";

    /// <summary>The objects go into a shared library (ZccacheNativeOutput=SharedLibrary): gcc and clang compile with -fPIC.</summary>
    public bool PositionIndependent { get; set; }

    /// <summary>ZccacheDebugInformationFormat: empty or <c>OldStyle</c> compiles cl's
    /// ProgramDatabase/EditAndContinue as /Z7 (cached); <c>AsProject</c> keeps /Zi and /ZI (not cached).</summary>
    public string DebugInformationFormat { get; set; } = "";

    /// <summary>How many compiles run at once; empty means the processor count.</summary>
    public string Parallelism { get; set; } = "";

    /// <summary>One item per object file, with the source in <c>Source</c> metadata.</summary>
    [Output] public ITaskItem[] Objects { get; set; } = [];

    public override bool Execute()
    {
        string projectDir = ProjectDirectoryOrCwd();
        var items = new List<(ITaskItem Item, ClCompileItem Compile, string Compiler)>();
        bool keepProgramDatabase = DebugInformationFormat.Trim() == "AsProject";
        if (!keepProgramDatabase && DebugInformationFormat.Trim() is not ("" or "OldStyle"))
            Warn(ZcCodes.BadProperty,
                $"ZccacheDebugInformationFormat '{DebugInformationFormat}' is not OldStyle or AsProject; using OldStyle.");
        var (cc, cxx) = ClCompileItem.Compilers(CC, CXX);
        foreach (ITaskItem source in Sources)
        {
            if (!File.Exists(source.GetMetadata("FullPath")))
            {
                Report(new Diagnostic(ZcCodes.SourceNotFound, $"the ClCompile source '{source.ItemSpec}' does not exist.", IsError: true));
                continue;
            }
            string compiler = ClCompileItem.CompilesAsC(source) ? cc : cxx;
            try
            {
                items.Add((source,
                ClCompileItem.From(source, projectDir, Path.GetFullPath(ObjectDirectory, projectDir), ClCommandLine.IsClFamily(compiler),
                    keepProgramDatabase, PositionIndependent), compiler));
            }
            catch (FormatException e) { Log.LogError(null, ZcCodes.BadProperty, null, source.ItemSpec, 0, 0, 0, 0, "{0}", e.Message); }
        }
        if (Log.HasLoggedErrors) return false;

        int parallelism = ParseParallelism();
        var (cache, session) = Open(Settings(Enabled, SessionId, ProjectFile, Remote, RemoteReadOnly, CacheSize), snapshotInputs: true,
            parallelism: Math.Min(parallelism, Math.Max(1, items.Count)));
        ObjectLedger? ledger = cache.IsEnabled && !string.IsNullOrWhiteSpace(StateFile)
            ? ObjectLedger.Load(Path.GetFullPath(StateFile, projectDir)) : null;

        var baseDir = Core.Paths.BaseDir.From(BaseDir);
        // ZccacheEnabled=false: nothing of the package
        IReadOnlyList<string> prefix = Enabled ? CompileInvocation.SplitPrefix(PrefixCommand) : [];
        var objects = new ITaskItem[items.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = _cancel.Token };
        CompileInvocation Invocation(int i) => new()
        {
            Compiler = items[i].Compiler,
            Arguments = items[i].Compile.Arguments,
            WorkingDirectory = projectDir,
            BaseDir = baseDir,
            PrefixCommand = prefix,
        };
        void Done(int i, CompileInvocation invocation, CompileResult result)
        {
            var (item, compile, _) = items[i];
            lock (objects) LogResult(item.ItemSpec, item.ItemSpec, invocation, result);
            var obj = new TaskItem(compile.ObjectFile);
            obj.SetMetadata("Source", compile.Source);
            item.CopyMetadataTo(obj);
            objects[i] = obj;
        }
        void CompileItem(int i)
        {
            var invocation = Invocation(i);
            string objectFile = items[i].Compile.ObjectFile;
            CompileResult result;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(objectFile)!);
                result = cache.Compile(invocation, session, ledger, objectFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not a cache fault (those are warnings inside the pipeline): the compile itself could not run.
                string name = items[i].Item.ItemSpec;
                lock (objects) Log.LogError(null, null, null, name, 0, 0, 0, 0, "{0} could not be compiled: {1}", name, e.Message);
                return;
            }
            Done(i, invocation, result);
        }
        // The first item's up-to-date check runs alone: threads starting together would each pay the pipeline's first use in
        // this process (most of what a no-change build costs here). Up to date, it is done; else the parallel pass compiles it.
        int first = 0;
        if (ledger is not null && items.Count > 1 && Invocation(0) is var firstCall
            && FirstUpToDate(cache, session, ledger, firstCall, items[0].Compile.ObjectFile) is { } upToDate)
        {
            Done(0, firstCall, upToDate);
            first = 1;
        }
        bool cancelled = false;
        try { Parallel.For(first, items.Count, options, CompileItem); }
        catch (OperationCanceledException) { cancelled = true; }
        Objects = [.. objects.Where(o => o is not null)];
        ledger?.Save(); // what did compile is up to date next time
        if (cancelled)
        {
            Log.LogMessage(MessageImportance.High, "zccache: compiling was cancelled.");
            return false;
        }
        if (session?.Fault is { } fault)
            Warn(ZcCodes.SessionIoError, $"the session folder cannot be written ({fault}); the build summary will miss some compiles.");
        return !Log.HasLoggedErrors;
    }

    private static CompileResult? FirstUpToDate(CompileCache cache, Core.Sessions.SessionRecorder? session, ObjectLedger ledger,
        CompileInvocation invocation, string objectFile)
    {
        try { return cache.TryUpToDate(invocation, session, ledger, objectFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; } // the parallel pass says it
    }

    private string ProjectDirectoryOrCwd() => string.IsNullOrEmpty(ProjectDirectory) ? Directory.GetCurrentDirectory() : ProjectDirectory;

    private int ParseParallelism()
    {
        if (string.IsNullOrWhiteSpace(Parallelism)) return Environment.ProcessorCount;
        if (int.TryParse(Parallelism, out int n) && n > 0) return n;
        Warn(ZcCodes.BadProperty, $"ZccacheParallelism '{Parallelism}' is not a positive number; using {Environment.ProcessorCount}.");
        return Environment.ProcessorCount;
    }

}
