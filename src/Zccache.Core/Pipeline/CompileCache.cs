using System.Diagnostics;
using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Contexts;
using Zccache.Core.Diagnostics;
using Zccache.Core.Hashing;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;
using Zccache.Core.Storage.Remote;

namespace Zccache.Core.Pipeline;

/// <summary>
/// The one pipeline every entry point calls: resolve the compiler → plan (the compiler's reader parses the call) → key
/// → match (the manifest's results against the inputs, local then remote: <see cref="ManifestMatcher"/>) → deliver (hit)
/// | run the compiler, capturing its dependencies → record them → publish (miss); the outcome is counted in the session.
/// A cache fault is a warning and the compile runs: it never fails a build that would pass without the cache.
/// </summary>
public sealed class CompileCache
{
    private readonly TieredStore? _store;
    private readonly FileHashMemo _memo;
    private readonly DirectoryListingMemo _listings = DirectoryListingMemo.Shared;
    private readonly InputSnapshot? _snapshot;

    private CompileCache(TieredStore? store, FileHashMemo memo, IReadOnlyList<Diagnostic> startup, bool snapshotInputs)
    {
        _store = store;
        _memo = memo;
        StartupDiagnostics = startup;
        _snapshot = snapshotInputs ? new InputSnapshot(memo, _listings) : null;
    }

    /// <summary>Problems found when opening the cache (each already means: compiles run without it).</summary>
    public IReadOnlyList<Diagnostic> StartupDiagnostics { get; }
    public bool IsEnabled => _store is not null;
    public CacheLayout? Layout => _store?.Layout;

    /// <summary>
    /// Opens the cache at <paramref name="root"/>; if it cannot be used, a cache that compiles plainly, with a ZC1001 warning.
    /// With <paramref name="snapshotInputs"/>, the instance serves one batch whose inputs do not change while it runs
    /// (see <see cref="InputSnapshot"/>): each file and include folder is looked at once for the whole batch. With a
    /// <paramref name="budget"/> (bytes, asked at the first store), stores keep the cache to it (<see cref="LocalStore"/>).
    /// </summary>
    public static CompileCache Open(string root, FileHashMemo? memo = null, bool snapshotInputs = false, bool probe = true,
        RemoteStore? remote = null, Lazy<long>? budget = null)
    {
        var layout = new CacheLayout(root);
        try
        {
            layout.EnsureCreated();
            if (probe)
            {
                // Say once, up front, that the cache cannot be written (a launcher skips this: a
                // process per compile, whose store failures are ZC1002 warnings anyway).
                string file = Path.Join(layout.Staging, $"probe.{Environment.ProcessId}.{Guid.NewGuid():N}");
                using (var f = AtomicFile.CreateNew(file)) f.WriteByte(1);
                File.Delete(file);
            }
            Diagnostic[] open = layout.RootIsOpenToOthers()
                ? [new Diagnostic(ZcCodes.CacheOpenToOthers, $"the cache directory '{layout.Root}' can be written by other users, "
                    + $"who could replace what it serves; make it yours alone (chmod 700).")]
                : [];
            var store = new TieredStore(new LocalStore(layout, budget), remote);
            return new CompileCache(store, memo ?? FileHashMemo.Shared, open, snapshotInputs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new CompileCache(null, memo ?? FileHashMemo.Shared,
                [new Diagnostic(ZcCodes.CacheDirUnusable,
                    $"the cache directory '{layout.Root}' cannot be used ({e.Message}); compiling without the cache.")], false);
        }
    }

    /// <summary>A cache that only runs compilers: what <c>ZccacheEnabled=false</c> gets.</summary>
    public static CompileCache Disabled() => new(null, FileHashMemo.Shared, [], false);

    public CompileResult Compile(CompileInvocation invocation, SessionRecorder? session = null) =>
        Compile(invocation, session, record: null);

    /// <summary>
    /// An incremental build's compile of <paramref name="output"/>: up to date when <paramref name="ledger"/> shows that
    /// nothing that produced it has changed, else the full pipeline; then the ledger records what produced the new
    /// output (or forgets it when the result cannot be trusted by stamp).
    /// </summary>
    public CompileResult Compile(CompileInvocation invocation, SessionRecorder? session, ObjectLedger? ledger, string output)
    {
        var result = Compile(invocation, session, ledger?.Find(output));
        if (ledger is not null && result.Outcome.Kind != OutcomeKind.UpToDate)
            ledger.Set(output, result.Inputs is { } inputs && result.Outcome.ContextKey is { } key && FileStamp.Read(output) is { } stamp
                ? new ObjectRecord(key, stamp, inputs.Value) : null);
        return result;
    }

    /// <summary>
    /// <paramref name="output"/> up to date by <paramref name="ledger"/>, recorded as such, or null: then nothing was
    /// recorded, looked up or compiled, and <see cref="Compile(CompileInvocation, SessionRecorder?, ObjectLedger?, string)"/>
    /// does the call.
    /// </summary>
    public CompileResult? TryUpToDate(CompileInvocation invocation, SessionRecorder? session, ObjectLedger ledger, string output) =>
        ledger.Find(output) is { } record ? Served(invocation, session, record, Serving.UpToDateOnly) : null;

    private CompileResult Compile(CompileInvocation invocation, SessionRecorder? session, ObjectRecord? record) =>
        Served(invocation, session, record, Serving.Everything)!;

    /// <summary>
    /// The call served from the cache, or null when it is not a hit (a miss, a call that cannot be cached, a fault):
    /// then nothing was run, recorded or written, and the caller compiles it
    /// through <see cref="Compile(CompileInvocation, SessionRecorder?)"/>.
    /// What the resident server does for launchers.
    /// </summary>
    public CompileResult? ServeHit(CompileInvocation invocation, SessionRecorder? session) =>
        Served(invocation, session, null, Serving.HitsOnly);

    /// <summary>What a call through the pipeline may end in; short of <see cref="Everything"/>, anything else is null.</summary>
    private enum Serving { Everything, HitsOnly, UpToDateOnly }

    private CompileResult? Served(CompileInvocation invocation, SessionRecorder? session, ObjectRecord? record, Serving serving)
    {
        if (session is not null) _store?.JoinSession(session.Folder.Path); // a failed remote is skipped by the whole session
        var result = CompileCore(invocation, session, record, serving);
        // A remote that failed during this compile is said once per process, then left alone.
        return result is not null && _store?.TakeRemoteFailure() is { } d ? result with { Diagnostics = [.. result.Diagnostics, d] }
            : result;
    }

    private CompileResult? CompileCore(CompileInvocation invocation, SessionRecorder? session, ObjectRecord? record, Serving serving)
    {
        bool mayRun = serving == Serving.Everything; // else whatever is not served ends in null, with nothing run or recorded
        long started = Stopwatch.GetTimestamp();
        if (!IsEnabled) session = null; // a cache that only runs compilers counts nothing

        // Resolve.
        var inputs = Inputs();
        string? compilerPath = CompilerIdentity.Resolve(invocation.Compiler, invocation.WorkingDirectory,
            invocation.GetEnvironmentVariable("PATH"), inputs);
        if (compilerPath is null) return mayRun ? CompilerNotFound(invocation, session) : null;
        var call = new PipelineCall(invocation, session, compilerPath, started);

        if (!mayRun && (_store is null || !CompilerProcess.IsExecutable(compilerPath))) return null;
        if (_store is null) return RunPlain(call, null);
        // A call that cannot run is never served: it fails as it would without the cache.
        if (!CompilerProcess.IsExecutable(compilerPath)) return RunPlain(call, null);

        // Plan.
        var (compile, why) = Plan(invocation);
        if (!mayRun && (compile is null || !CompilerProcess.FitsCommandLine(compile.Arguments))) return null;
        if (compile is null) return RunPlain(call, why);
        if (!CompilerProcess.FitsCommandLine(compile.Arguments))
            return RunPlain(call, new NonCacheable(NonCacheableReason.CommandLineTooLong, ""));

        // Key.
        ContextKey key = Key(invocation, compilerPath, compile, inputs);
        if (record is not null && IsUpToDate(compile, key, record)) return UpToDate(call, compile, key);
        if (serving == Serving.UpToDateOnly) return null;
        var request = new CacheableRequest(call, compile, key, Stopwatch.GetTimestamp());

        // Match, then deliver a hit; a miss runs the compiler, records what it read and publishes the result.
        ManifestMatch miss;
        try
        {
            var match = new ManifestMatcher(_store, compile, invocation, inputs).Match(key.Hex);
            if (match.IsHit) return Deliver(request, match, inputs);
            miss = match;
        }
        catch (Exception e) when (!mayRun && (e is CorruptEntryException || IsCacheFault(e)))
        {
            return null; // the launcher's own run of the call meets the fault again, and says so
        }
        catch (CorruptEntryException e)
        {
            call.Diagnostics.Add(new Diagnostic(ZcCodes.CorruptEntry, e.Message + "; compiling instead."));
            miss = ManifestMatch.Miss(MissReason.CorruptEntry);
        }
        catch (Exception e) when (IsCacheFault(e))
        {
            call.Diagnostics.Add(new Diagnostic(ZcCodes.CacheIoError, $"reading the cache failed ({e.Message}); compiling without it."));
            miss = ManifestMatch.Miss(MissReason.CacheReadError);
        }

        if (!mayRun) return null;
        var phases = new Phases(KeyNs: Elapsed(started, request.Keyed), LookupNs: Elapsed(request.Keyed, Stopwatch.GetTimestamp()), 0, 0,
            0);
        return CompileAndStore(request, miss, phases);
    }

    private static CompileResult CompilerNotFound(CompileInvocation invocation, SessionRecorder? session)
    {
        string text = $"{ZcCodes.CompilerNotFound}: the compiler '{invocation.Compiler}' was not found (set ZccacheCC/ZccacheCXX or "
            + $"CC/CXX, or install it).";
        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.NonCacheable, ExitCode = 127, Reason = NonCacheable.CodeOf(NonCacheableReason.CompilerNotFound),
        };
        PipelineCall.Record(session, outcome, invocation);
        return new CompileResult
        {
            ExitCode = 127, Stderr = Encoding.UTF8.GetBytes("zccache: " + text + "\n"), Outcome = outcome,
            Diagnostics = [new Diagnostic(ZcCodes.CompilerNotFound, text[8..], IsError: true)],
        };
    }

    private static CompileResult UpToDate(PipelineCall call, CacheableCompile compile, ContextKey key)
    {
        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.UpToDate, Step = compile.Step, Source = compile.Context.SourceFile.Value, ContextKey = key.Hex,
            LatencyNs = Elapsed(call.Started, Stopwatch.GetTimestamp()),
        };
        call.Record(outcome);
        return new CompileResult { ExitCode = 0, Outcome = outcome };
    }

    private ContextKey Key(CompileInvocation invocation, string compilerPath, CacheableCompile compile, InputSnapshot inputs)
    {
        string identity = CompilerIdentity.Identify(compilerPath, _memo, Layout!, invocation, inputs) ?? "path:" + compilerPath;
        var extras = new List<KeyValuePair<string, string>>(compile.KeyExtras);
        if (compile.Link?.Linker is { } linker)
        {
            // The linker the compile runs, and the ld it runs in turn. One that cannot be found fails the link, which is never stored.
            string? linkerPath = CompilerIdentity.Resolve(linker.Compiler, linker.WorkingDirectory, linker.GetEnvironmentVariable("PATH"),
                inputs);
            string linkerIdentity = linkerPath is null ? "missing"
                : CompilerIdentity.Identify(linkerPath, _memo, Layout!, linker, inputs) ?? "path:" + linkerPath;
            extras.Add(new("linker", Path.GetFileName(linker.Compiler) + " " + linkerIdentity));
        }
        // The name matters as much as the binary: clang++ and clang, em++ and emcc are one file each.
        return ContextKey.Compute(compile.Context, identity,
            [.. extras, new("compiler-name", Path.GetFileName(invocation.Compiler))], compile.BaseDir);
    }

    /// <summary>
    /// An incremental build's check, before any lookup: the call's output is still the one <paramref name="record"/> says
    /// it wrote (same stamp), the context key is the same (options, compiler), every input still has its recorded stamp,
    /// and no path that would shadow one of them has appeared. Then nothing is looked up, delivered or compiled.
    /// Costs a stat per input, memoised across the batch; any doubt (or a fault) sends the call through the cache.
    /// </summary>
    private bool IsUpToDate(CacheableCompile compile, ContextKey key, ObjectRecord record)
    {
        try
        {
            if (key.Hex != record.ContextKey || compile.Outputs.Count == 0) return false;
            if (FileStamp.Read(compile.Outputs[0].Path) != record.ObjectStamp) return false;
            if (compile.Outputs.Skip(1).Any(o => !File.Exists(o.Path))) return false;
            var inputs = Inputs();
            return record.Inputs.Dependencies.Count > 0
                && record.Inputs.Dependencies.All(d =>
                    !EnvironmentDependency.Is(d.Path) && d.Stamp is { } stamp
                    && inputs.StillHas(d.Path, stamp))
                && !record.Inputs.Absent.Any(g => g.Names.Any(n => inputs.Exists(g.Directory, n)));
        }
        catch (Exception e) when (IsCacheFault(e))
        {
            return false;
        }
    }

    /// <summary>
    /// What produced the outputs of a served or stored compile, as this checkout's paths: for an <see cref="ObjectLedger"/>.
    /// On a hit every input was just verified (in <paramref name="verified"/>): one verified by its stamp keeps it; one
    /// verified by its content gets the stamp it has now once that stamp is settled (an input written moments before,
    /// such as an object a link reads, is trusted by stamp from the next build on).
    /// </summary>
    private static ManifestResult InputsHere(CacheableCompile compile, ManifestResult result, InputSnapshot? verified) =>
        new(result.ArtifactKey, [.. result.Dependencies.Select(d =>
        {
            string path = compile.Here(d.Path);
            var stamp = verified is null || (d.Stamp is { } recorded && verified.StillHas(path, recorded)) ? d.Stamp
                : verified.Get(path) is { } facts && facts.Hash.Hex == d.Sha256 && facts.SettledStamp is { } now ? now : d.Stamp;
            return d with { Path = path, Stamp = stamp };
        })])
        { Absent = [.. result.Absent.Select(g => g with { Directory = compile.Here(g.Directory) })] };

    private static long Elapsed(long from, long to) => (long)Stopwatch.GetElapsedTime(from, to).TotalNanoseconds;

    /// <summary>True when the call compiles nothing (<c>rustc -vV</c>,
    /// <c>--print</c> probes): run it, but it is not a compile to count.</summary>
    public static bool IsQuery(CompileInvocation invocation) =>
        RustcCommandLine.IsRustc(invocation.Compiler) && RustcCommandLine.IsQuery(invocation.Arguments);

    /// <summary>The compiler's command-line reader makes the plan, or says why the call cannot be cached.</summary>
    private (CacheableCompile? Compile, NonCacheable? Why) Plan(CompileInvocation invocation)
    {
        if (ConfigureCheck.Folder(invocation) is { } scratch) return (null, new NonCacheable(NonCacheableReason.ConfigureCheck, scratch));
        if (ClCommandLine.IsClFamily(invocation.Compiler)) return ClCommandLine.Parse(invocation);
        if (GccCommandLine.IsGccFamily(invocation.Compiler))
        {
            // A call that is not a compile may be a link: the same pipeline caches it.
            var compile = GccCommandLine.Parse(invocation, _memo);
            return compile.Why?.Reason == NonCacheableReason.Linking ? Linking.LinkCommandLine.Parse(invocation, compile.Why) : compile;
        }
        if (RustcCommandLine.IsRustc(invocation.Compiler)) return RustcCommandLine.Parse(invocation, _memo);
        return (null, new NonCacheable(NonCacheableReason.UnknownCompiler, invocation.Compiler));
    }

    /// <summary>The hit's outputs written in place and its output replayed; counted in the session.</summary>
    private static CompileResult Deliver(CacheableRequest request, ManifestMatch hit, InputSnapshot inputs)
    {
        long found = Stopwatch.GetTimestamp();
        var (compile, entry) = (request.Compile, hit.Entry!);
        foreach (CompileOutput output in compile.Outputs)
        {
            if (entry.Output(output.Name) is not { } stored)
            {
                if (File.Exists(output.Path)) File.Delete(output.Path); // a failed compile leaves no output
            }
            else if (compile.Rewritten(output.Name, stored.Data, compile.Here) is { } here) FileDelivery.Deliver(output.Path, here, null);
            else FileDelivery.Deliver(output.Path, stored.Data, stored.PathInStore, stored.Executable);
        }

        long started = request.Call.Started, delivered = Stopwatch.GetTimestamp();
        var outcome = new CompileOutcome
        {
            Kind = entry.ExitCode == 0 ? OutcomeKind.Hit : OutcomeKind.CachedError,
            Step = compile.Step,
            Source = compile.Context.SourceFile.Value,
            ContextKey = request.Key.Hex,
            LatencyNs = Elapsed(started, delivered),
            OriginalNs = entry.CompileDurationNs,
            Bytes = entry.TotalBytes,
            ExitCode = entry.ExitCode,
            Phases = new Phases(Elapsed(started, request.Keyed), Elapsed(request.Keyed, found), 0, 0, Elapsed(found, delivered)),
            Remote = hit.FromRemote,
        };
        request.Call.Record(outcome);
        return new CompileResult
        {
            ExitCode = entry.ExitCode, Stdout = entry.Stdout, Stderr = entry.Stderr, Outcome = outcome,
            Inputs = entry.ExitCode == 0 ? new(() => InputsHere(compile, hit.Result!, inputs)) : null,
        };
    }

    /// <summary>A miss: runs the compiler so that it reports what it read, records that, and publishes the result.</summary>
    private CompileResult CompileAndStore(CacheableRequest request, ManifestMatch miss, Phases phases)
    {
        var (call, compile, key) = (request.Call, request.Compile, request.Key);
        // Ask the compiler for its dependencies unless the user already does (fully): a depfile of the cache's own, or cl's include notes.
        string? privateDepfile = compile.DependencyFile is null && compile.IncludeNotes is null
            ? Path.Join(Layout!.Staging, $"deps.{Environment.ProcessId}.{Guid.NewGuid():N}.d")
            : null;
        // cl's /showIncludes goes first: after a "--" it would be read as a source.
        var args = compile.IncludeNotes is not null ? [.. compile.DependencyArguments(""), .. compile.Arguments]
            : privateDepfile is null || compile.DependencyScan is not null ? compile.Arguments.ToList()
            : [.. compile.Arguments, .. compile.DependencyArguments(privateDepfile)];
        // A compile that links: the linker lists what it read in a dependency file of its own.
        string? linkDepfile = compile.Link is null ? null
            : Path.Join(Layout!.Staging, $"link.{Environment.ProcessId}.{Guid.NewGuid():N}.d");
        if (linkDepfile is not null) args.AddRange(compile.Link!.DependencyArguments(linkDepfile));
        // The anchor: an input whose mtime or ctime is not older than this was (maybe) written while the compiler read it.
        long startedNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        ProcessResult run = RunCompiler(call, args);
        if (run.StartError is not null) return Plain(call, run, null); // nothing ran: nothing to store
        if (privateDepfile is not null && compile.DependencyScan is not null && (run.ExitCode == 0 || compile.FailedRunListsEveryInput))
        {
            // The user's depfile is partial: a preprocessing run of the cache's own lists every input (here, never through the prefix).
            var scan = CompilerProcess.Run(call.CompilerPath, compile.DependencyScan(privateDepfile), request.Invocation.WorkingDirectory,
                request.Invocation.Environment);
            if (scan.ExitCode != 0) AtomicFile.TryDelete(privateDepfile);
        }

        // cl reports what it read as notes in its output: they are the dependencies, and the user sees them only if asked.
        List<string>? noted = null;
        if (compile.IncludeNotes is { } notes)
        {
            (noted, byte[] rest) = IncludeNotes.Split(run.Stdout);
            if (!notes.Keep) run = run with { Stdout = rest };
        }

        // A failed link runs again as written: the linker may not know the option the cache added (and a failed link is
        // never stored anyway), and the user's error shows the user's command.
        if (run.ExitCode != 0 && linkDepfile is not null
            && (compile.IsEnvironmentFailure(run.Stderr)
                || CompilerProcess.Text(run.Stderr).Contains(linkDepfile, StringComparison.Ordinal)))
        {
            if (privateDepfile is not null) AtomicFile.TryDelete(privateDepfile);
            AtomicFile.TryDelete(linkDepfile);
            return RunPlain(call, new NonCacheable(NonCacheableReason.LinkFailed, ""));
        }

        // Our depfile's name is unique: if the compiler's errors name it, the cache's disk failed it
        // (full, read-only), not the user's code.
        if (run.ExitCode != 0 && privateDepfile is not null
            && CompilerProcess.Text(run.Stderr).Contains(privateDepfile, StringComparison.Ordinal))
        {
            AtomicFile.TryDelete(privateDepfile);
            // The compiler could not write our depfile (cache dir trouble): the user's compile must not suffer.
            call.Diagnostics.Add(new Diagnostic(ZcCodes.CacheIoError,
                "the compiler could not write its dependency file into the cache; compiled without the cache."));
            return RunPlain(call, new NonCacheable(NonCacheableReason.NoDependencyInfo, "depfile not writable"));
        }

        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.Miss,
            Step = compile.Step,
            Source = compile.Context.SourceFile.Value,
            ContextKey = key.Hex,
            LatencyNs = run.DurationNs,
            ExitCode = run.ExitCode,
            Reason = miss.Reason.ToWireName(),
            ChangedInput = miss.ChangedInput,
        };
        long storing = Stopwatch.GetTimestamp();
        ManifestResult? stored = null;
        try
        {
            (outcome, stored) = Store(request, run, new RunReport(privateDepfile ?? compile.DependencyFile, linkDepfile, noted, startedNs),
                outcome);
        }
        catch (Exception e) when (IsCacheFault(e))
        {
            call.Diagnostics.Add(new Diagnostic(ZcCodes.CacheIoError,
                $"storing the result in the cache failed ({e.Message}); the compile itself is unaffected."));
        }
        finally
        {
            if (privateDepfile is not null) AtomicFile.TryDelete(privateDepfile);
            if (linkDepfile is not null) AtomicFile.TryDelete(linkDepfile);
        }
        outcome = outcome with
        {
            Phases = phases with
            {
                CompileNs = run.DurationNs,
                StoreNs = Elapsed(storing, Stopwatch.GetTimestamp())
            }
        };
        call.Record(outcome);
        return new CompileResult
        {
            ExitCode = run.ExitCode, Stdout = run.Stdout, Stderr = run.Stderr, Outcome = outcome,
            Diagnostics = call.Diagnostics, Inputs = run.ExitCode == 0 && stored is not null
            ? new(() => InputsHere(compile, stored, verified: null)) : null,
        };
    }

    /// <summary>
    /// What a run reported of its inputs: the dependency file it wrote (or the user's), the linker's, or cl's include notes;
    /// and the anchor, when it started (ns since the epoch): an input not older than that may have changed while it was read.
    /// </summary>
    private sealed record RunReport(string? Depfile, string? LinkDepfile, List<string>? Noted, long AnchorNs);

    /// <summary>Stores the run as an entry and a manifest result; returns the outcome and, when it was stored, the result.</summary>
    private (CompileOutcome, ManifestResult?) Store(CacheableRequest request, ProcessResult run, RunReport report, CompileOutcome outcome)
    {
        var (invocation, compile, key) = (request.Invocation, request.Compile, request.Key);
        var (depfilePath, linkDepfile, noted, startedNs) = report;
        (CompileOutcome, ManifestResult?) NotStored(MissReason why) => (outcome with { Reason = why.ToWireName() }, null);
        if (run.ExitCode != 0 && !compile.FailedRunListsEveryInput) return NotStored(MissReason.NoDependencyInfo);
        // The dependencies: the depfile's prerequisites, or the source and the files the include notes named.
        string depText = "";
        if (noted is null)
        {
            if (depfilePath is null || !File.Exists(depfilePath)) return NotStored(MissReason.NoDependencyInfo);
            depText = Encoding.UTF8.GetString(File.ReadAllBytes(depfilePath));
        }
        else if (noted.Count == 0 && IncludeNotes.MayInclude(compile.Context)) return NotStored(MissReason.NoDependencyInfo);

        var dependencies = new List<RecordedDependency>();
        bool usesTimeMacros = false, namesHiddenInput = false, changedWhileCompiling = false;
        var inputs = Inputs();
        IEnumerable<string> reported = noted is null ? DepFile.ParsePrerequisites(depText)
            : noted.Prepend(compile.Context.SourceFile.Value);
        var paths = reported.Select(dep => Path.GetFullPath(dep, invocation.WorkingDirectory)).Distinct().ToList();
        if (compile.HiddenDependencies is not null) paths = [.. paths, .. compile.HiddenDependencies(paths).Except(paths)];
        // Where a new file would be found first; and the precompiled headers used, which no depfile lists.
        var (absentPaths, precompiled) = ShadowCandidates.For(compile.Search, compile.Context, paths, invocation.WorkingDirectory,
            p => inputs.Exists(Path.GetDirectoryName(p)!, Path.GetFileName(p)));
        paths = [.. paths, .. precompiled.Except(paths)];
        if (compile.Link is { } link && run.ExitCode == 0)
        {
            // What the link read, as the linker reported it (the compile's own
            // intermediates left out), and where a new library would be found first.
            if (linkDepfile is null || !File.Exists(linkDepfile)) return NotStored(MissReason.NoDependencyInfo);
            var linked = DepFile.ParsePrerequisites(Encoding.UTF8.GetString(File.ReadAllBytes(linkDepfile)))
                .Select(dep => Path.GetFullPath(dep, invocation.WorkingDirectory)).Where(dep => !link.IsIntermediate(dep)).Distinct()
                    .ToList();
            paths = [.. paths, .. linked.Except(paths)];
            absentPaths = [.. absentPaths, .. Linking.LinkCommandLine.LibraryShadows(link.Libraries, linked).Distinct()
                .Where(p => !inputs.Exists(Path.GetDirectoryName(p)!, Path.GetFileName(p)))];
        }
        foreach (string path in paths)
        {
            // Hashed now, not from the batch's snapshot: a header saved while an earlier compile of the
            // batch ran is recorded with the content this compile read (the anchor below covers this one).
            if (_memo.Get(path) is not { } facts) return NotStored(MissReason.NoDependencyInfo);
            // A precompiled header is binary, and a fixed input: its bytes name every builtin macro, time macros included.
            bool text = !precompiled.Contains(path);
            usesTimeMacros |= text && facts.UsesTimeMacros;
            namesHiddenInput |= text && facts.NamesHiddenInput;
            changedWhileCompiling |= FileStamp.Read(path) is not { } now || now.MtimeNs >= startedNs || now.CtimeNs >= startedNs;
            dependencies.Add(new RecordedDependency(compile.Recorded(path), facts.Hash.Hex) { Stamp = facts.SettledStamp });
        }
        if (dependencies.Count == 0) return NotStored(MissReason.NoDependencyInfo);
        foreach (var (name, value) in DepFile.ParseEnvDeps(depText))
            dependencies.Add(EnvironmentDependency.Recorded(name, value));

        if (compile.TimeMacrosMatter && usesTimeMacros && string.IsNullOrEmpty(invocation.GetEnvironmentVariable("SOURCE_DATE_EPOCH")))
        {
            return (outcome with { Kind = OutcomeKind.NonCacheable, Reason = NonCacheable.CodeOf(NonCacheableReason.TimeMacros) }, null);
        }
        if (namesHiddenInput && compile.TimeMacrosMatter)
            return (outcome with { Kind = OutcomeKind.NonCacheable, Reason = NonCacheable.CodeOf(NonCacheableReason.HiddenInput) }, null);
        if (changedWhileCompiling)
            return (outcome with
            {
                Kind = OutcomeKind.NonCacheable,
                Reason = NonCacheable.CodeOf(NonCacheableReason.ChangedWhileCompiling)
            }, null);

        var outputs = new List<EntryOutput>();
        if (run.ExitCode == 0)
        {
            foreach (CompileOutput output in compile.Outputs)
            {
                if (!File.Exists(output.Path)) return NotStored(MissReason.NoOutput);
                byte[] data = File.ReadAllBytes(output.Path);
                // A depfile names its inputs: under a base directory it is stored with the marker, as the manifest is.
                data = compile.Rewritten(output.Name, data, compile.Recorded) ?? data;
                outputs.Add(new EntryOutput(output.Name, data) { Executable = FileDelivery.IsExecutable(output.Path) });
            }
        }
        else if (FailedBecauseOfTheOutput(compile, run)) return NotStored(MissReason.OutputNotWritable);
        else if (compile.IsEnvironmentFailure(run.Stderr)) return NotStored(MissReason.EnvironmentFailure);
        // Through a prefix, the wrapper's own failures (distcc: no host reachable) cannot be told from the code's: not replayed.
        else if (invocation.PrefixCommand.Count > 0) return NotStored(MissReason.EnvironmentFailure);

        var entry = new CacheEntry
        {
            Outputs = outputs,
            Stdout = run.Stdout,
            Stderr = run.Stderr,
            ExitCode = run.ExitCode,
            CompileDurationNs = run.DurationNs,
        };
        string artifactKey = key.Derive("artifact", dependencies.SelectMany(d => new[] { d.Path, d.Sha256 }));
        var stored = new ManifestResult(artifactKey, dependencies) { Absent = AbsentGroup.From(absentPaths.Select(compile.Recorded)) };
        bool published = _store!.Publish(key.Hex, stored, entry);
        return (outcome with { Bytes = published ? entry.TotalBytes : 0 }, stored);
    }

    /// <summary>
    /// A failed compile is replayed only when the failure is the code's, not the output's: keys do
    /// not hold the outputs' paths, so "cannot create obj/x.o" must not be replayed to a later call
    /// whose folder exists.
    /// </summary>
    private static bool FailedBecauseOfTheOutput(CacheableCompile compile, ProcessResult run)
    {
        // rustc's artifact notifications name outputs it did write; they say nothing of a failure.
        string errors = string.Join('\n', CompilerProcess.Text(run.Stderr).Split('\n')
            .Where(l => !l.StartsWith("{\"$message_type\":\"artifact\"", StringComparison.Ordinal)));
        return compile.Outputs.Any(o => !Directory.Exists(Path.GetDirectoryName(o.Path))
            || errors.Contains(o.Path, StringComparison.Ordinal)
            || errors.Contains(Path.GetFileName(o.Path) + ":", StringComparison.Ordinal));
    }

    /// <summary>
    /// A fault of the cache rather than of the compile: the disk (full, read-only, permissions),
    /// or data that is not what it should be. The compile goes on without the cache.
    /// </summary>
    private static bool IsCacheFault(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException
            or System.Text.Json.JsonException or ArgumentException;

    /// <summary>The batch's snapshot, or a fresh look for this compile alone.</summary>
    private InputSnapshot Inputs() => _snapshot ?? new InputSnapshot(_memo, _listings);

    private CompileResult RunPlain(PipelineCall call, NonCacheable? why) => Plain(call, RunCompiler(call, call.Invocation.Arguments), why);

    private int _prefixWarned;

    /// <summary>
    /// Runs the compiler, through the invocation's prefix command when it has one (<c>distcc gcc …</c>). A prefix that
    /// cannot be started is not the compile's fault: said once per cache instance (ZC1010), and the compiler runs here.
    /// </summary>
    private ProcessResult RunCompiler(PipelineCall call, IReadOnlyList<string> args)
    {
        var (invocation, compilerPath) = (call.Invocation, call.CompilerPath);
        if (invocation.PrefixCommand.Count > 0)
        {
            string program = invocation.PrefixCommand[0];
            string prefix = CompilerIdentity.Resolve(program, invocation.WorkingDirectory, invocation.GetEnvironmentVariable("PATH"))
                ?? program;
            ProcessResult run = CompilerProcess.Run(prefix, [.. invocation.PrefixCommand.Skip(1), compilerPath, .. args],
                invocation.WorkingDirectory, invocation.Environment);
            if (run.StartError is null) return run;
            if (Interlocked.Exchange(ref _prefixWarned, 1) == 0)
                call.Diagnostics.Add(new Diagnostic(ZcCodes.PrefixNotRunnable,
                    $"the prefix command '{program}' cannot be run ({run.StartError}); compiling locally without it."));
        }
        return CompilerProcess.Run(compilerPath, args, invocation.WorkingDirectory, invocation.Environment);
    }

    private static CompileResult Plain(PipelineCall call, ProcessResult run, NonCacheable? why)
    {
        if (run.StartError is { } error)
            call.Diagnostics.Add(new Diagnostic(ZcCodes.CompilerNotRunnable,
                $"the compiler '{call.Invocation.Compiler}' cannot be run: {error}.", IsError: true));
        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.NonCacheable,
            LatencyNs = run.DurationNs,
            ExitCode = run.ExitCode,
            Reason = run.StartError is not null ? NonCacheable.CodeOf(NonCacheableReason.CompilerNotRunnable)
                : why?.Code ?? NonCacheable.CodeOf(NonCacheableReason.CacheDisabled),
            Phases = new Phases(0, 0, run.DurationNs, 0, 0),
        };
        call.Record(outcome);
        return new CompileResult
        {
            ExitCode = run.ExitCode, Stdout = run.Stdout, Stderr = run.Stderr, Outcome = outcome,
            Diagnostics = call.Diagnostics,
        };
    }
}
