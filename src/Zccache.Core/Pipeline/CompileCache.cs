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
/// The one pipeline every entry point calls: invocation → parse → context key → manifest lookup
/// → verify recorded dependencies → artifact key → deliver (hit) | run the compiler, capture its
/// dependencies, publish (miss) → record the outcome in the session.
/// A cache fault is a warning and the compile runs: it never fails a build that would pass without the cache.
/// </summary>
public sealed class CompileCache
{
    private readonly LocalStore? _store;
    private readonly FileHashMemo _memo;
    private readonly DirectoryListingMemo _listings = DirectoryListingMemo.Shared;
    private readonly InputSnapshot? _snapshot;
    private RemoteStore? _remote;

    private CompileCache(LocalStore? store, FileHashMemo memo, IReadOnlyList<Diagnostic> startup, bool snapshotInputs)
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
    /// (see <see cref="InputSnapshot"/>): each file and include folder is looked at once for the whole batch.
    /// </summary>
    public static CompileCache Open(string root, FileHashMemo? memo = null, bool snapshotInputs = false, bool probe = true, RemoteStore? remote = null)
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
                ? [new Diagnostic(ZcCodes.CacheOpenToOthers, $"the cache directory '{layout.Root}' can be written by other users, who could replace what it serves; make it yours alone (chmod 700).")]
                : [];
            return new CompileCache(new LocalStore(layout), memo ?? FileHashMemo.Shared, open, snapshotInputs) { _remote = remote };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new CompileCache(null, memo ?? FileHashMemo.Shared,
                [new Diagnostic(ZcCodes.CacheDirUnusable, $"the cache directory '{layout.Root}' cannot be used ({e.Message}); compiling without the cache.")], false);
        }
    }

    /// <summary>A cache that only runs compilers: what <c>ZccacheEnabled=false</c> gets.</summary>
    public static CompileCache Disabled() => new(null, FileHashMemo.Shared, [], false);

    public CompileResult Compile(CompileInvocation invocation, SessionRecorder? session = null) => Compile(invocation, session, record: null);

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

    private CompileResult Compile(CompileInvocation invocation, SessionRecorder? session, ObjectRecord? record) =>
        Served(invocation, session, record, hitsOnly: false)!;

    /// <summary>
    /// The call served from the cache, or null when it is not a hit (a miss, a call that cannot be cached, a fault):
    /// then nothing was run, recorded or written, and the caller compiles it through <see cref="Compile(CompileInvocation, SessionRecorder?)"/>.
    /// What the resident server does for launchers.
    /// </summary>
    public CompileResult? ServeHit(CompileInvocation invocation, SessionRecorder? session) => Served(invocation, session, null, hitsOnly: true);

    private CompileResult? Served(CompileInvocation invocation, SessionRecorder? session, ObjectRecord? record, bool hitsOnly)
    {
        if (session is not null) _remote?.JoinSession(session.Folder.Path); // a failed remote is skipped by the whole session
        var result = CompileCore(invocation, session, record, hitsOnly);
        // A remote that failed during this compile is said once per process, then left alone.
        return result is not null && _remote?.TakeFailureDiagnostic() is { } d ? result with { Diagnostics = [.. result.Diagnostics, d] } : result;
    }

    private CompileResult? CompileCore(CompileInvocation invocation, SessionRecorder? session, ObjectRecord? record, bool hitsOnly)
    {
        long started = Stopwatch.GetTimestamp();
        var diagnostics = new List<Diagnostic>();

        string? compilerPath = CompilerIdentity.Resolve(invocation.Compiler, invocation.WorkingDirectory, invocation.GetEnvironmentVariable("PATH"));
        if (compilerPath is null)
        {
            if (hitsOnly) return null;
            string text = $"{ZcCodes.CompilerNotFound}: the compiler '{invocation.Compiler}' was not found (set ZccacheCC/ZccacheCXX or CC/CXX, or install it).";
            var outcome = new CompileOutcome { Kind = OutcomeKind.NonCacheable, ExitCode = 127, Reason = "compiler_not_found" };
            if (IsEnabled) Record(session, outcome, invocation);
            return new CompileResult
            {
                ExitCode = 127, Stderr = Encoding.UTF8.GetBytes("zccache: " + text + "\n"), Outcome = outcome,
                Diagnostics = [new Diagnostic(ZcCodes.CompilerNotFound, text[8..], IsError: true)],
            };
        }

        if (hitsOnly && (_store is null || !CompilerProcess.IsExecutable(compilerPath))) return null;
        if (_store is null) return RunPlain(compilerPath, invocation, null, session: null, diagnostics);
        // A call that cannot run is never served: it fails as it would without the cache.
        if (!CompilerProcess.IsExecutable(compilerPath)) return RunPlain(compilerPath, invocation, null, session, diagnostics);

        var (compile, why) = Plan(invocation);
        if (hitsOnly && (compile is null || !CompilerProcess.FitsCommandLine(compile.Arguments))) return null;
        if (compile is null) return RunPlain(compilerPath, invocation, why, session, diagnostics);
        if (!CompilerProcess.FitsCommandLine(compile.Arguments))
            return RunPlain(compilerPath, invocation, new NonCacheable(NonCacheableReason.CommandLineTooLong, ""), session, diagnostics);

        ContextKey key = Key(invocation, compilerPath, compile);
        session?.AddContext(key);
        if (record is not null && IsUpToDate(compile, key, record))
        {
            var upToDate = new CompileOutcome
            {
                Kind = OutcomeKind.UpToDate, Step = compile.Step, Source = compile.Context.SourceFile.Value, ContextKey = key.Hex,
                LatencyNs = Elapsed(started, Stopwatch.GetTimestamp()),
            };
            Record(session, upToDate, invocation);
            return new CompileResult { ExitCode = 0, Outcome = upToDate };
        }
        long keyed = Stopwatch.GetTimestamp();

        string missReason = "context_not_found";
        string? changedInput = null;
        try
        {
            var (hit, reason, changed) = TryHit(invocation, key, compile, started, keyed, session);
            if (hit is not null) return hit;
            missReason = reason;
            changedInput = changed;
        }
        catch (Exception e) when (hitsOnly && (e is CorruptEntryException || IsCacheFault(e)))
        {
            return null; // the launcher's own run of the call meets the fault again, and says so
        }
        catch (CorruptEntryException e)
        {
            diagnostics.Add(new Diagnostic(ZcCodes.CorruptEntry, e.Message + "; compiling instead."));
            missReason = "corrupt_entry";
        }
        catch (Exception e) when (IsCacheFault(e))
        {
            diagnostics.Add(new Diagnostic(ZcCodes.CacheIoError, $"reading the cache failed ({e.Message}); compiling without it."));
            missReason = "cache_read_error";
        }

        if (hitsOnly) return null;
        var phases = new Phases(KeyNs: Elapsed(started, keyed), LookupNs: Elapsed(keyed, Stopwatch.GetTimestamp()), 0, 0, 0);
        return CompileAndStore(compilerPath, invocation, compile, key, (missReason, changedInput, phases), session, diagnostics);
    }

    private ContextKey Key(CompileInvocation invocation, string compilerPath, CacheableCompile compile)
    {
        string identity = CompilerIdentity.Identify(compilerPath, _memo, _store!.Layout, invocation) ?? "path:" + compilerPath;
        var extras = new List<KeyValuePair<string, string>>(compile.KeyExtras);
        if (compile.Link?.Linker is { } linker)
        {
            // The linker the compile runs, and the ld it runs in turn. One that cannot be found fails the link, which is never stored.
            string? linkerPath = CompilerIdentity.Resolve(linker.Compiler, linker.WorkingDirectory, linker.GetEnvironmentVariable("PATH"));
            extras.Add(new("linker", Path.GetFileName(linker.Compiler) + " " +
                (linkerPath is null ? "missing" : CompilerIdentity.Identify(linkerPath, _memo, _store.Layout, linker) ?? "path:" + linkerPath)));
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
                && record.Inputs.Dependencies.All(d => !d.Path.StartsWith(EnvPrefix, StringComparison.Ordinal) && d.Stamp is { } stamp && inputs.StillHas(d.Path, stamp))
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

    /// <summary>Counts the outcome in the session, with the call it came from (for the journal).</summary>
    private static void Record(SessionRecorder? session, CompileOutcome outcome, CompileInvocation invocation) =>
        session?.Record(outcome with { Invocation = invocation, Call = invocation.CallId });

    /// <summary>True when the call compiles nothing (<c>rustc -vV</c>, <c>--print</c> probes): run it, but it is not a compile to count.</summary>
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

    private (CompileResult? Hit, string MissReason, string? ChangedInput) TryHit(CompileInvocation invocation, ContextKey key, CacheableCompile compile,
        long started, long keyed, SessionRecorder? session)
    {
        Manifest? manifest = _store!.ReadManifest(key.Hex);
        var local = TryResults(manifest?.Results ?? [], fromRemote: false, invocation, key, compile, started, keyed, session);
        if (local.Hit is not null || _remote is null) return local;

        // Local first, then the remote: its manifest's results not tried yet, their entries fetched and backfilled.
        Manifest? remote = RemoteManifest(key.Hex);
        if (remote is null) return local;
        var tried = manifest?.Results.Select(r => r.ArtifactKey).ToHashSet() ?? [];
        var fresh = remote.Results.Where(r => !tried.Contains(r.ArtifactKey)).ToList();
        if (fresh.Count > 0) _store.AddToManifest(key.Hex, fresh);
        var viaRemote = TryResults(fresh, fromRemote: true, invocation, key, compile, started, keyed, session);
        return viaRemote.Hit is not null || manifest is null ? viaRemote : local;
    }

    /// <summary>
    /// The remote's manifest of <paramref name="contextKey"/>, or null. A value that does not verify
    /// or describes another context is refused (<see cref="CorruptEntryException"/>): never used, never backfilled.
    /// </summary>
    private Manifest? RemoteManifest(string contextKey)
    {
        if (_remote?.Get(RemoteNamespace.Manifest, contextKey) is not { } blob) return null;
        string? corruption = "does not decompress";
        Manifest? manifest = EntryBundle.Decompress(blob) is { } bytes ? Manifest.FromBytes(bytes, contextKey, out corruption) : null;
        return manifest ?? (corruption is null ? null : throw RemoteCorrupt("manifest", contextKey, corruption));
    }

    /// <summary>The remote's entry of <paramref name="artifactKey"/>, or null; refused as <see cref="RemoteManifest"/> is.</summary>
    private CacheEntry? RemoteEntry(string artifactKey)
    {
        if (_remote?.Get(RemoteNamespace.Entry, artifactKey) is not { } bundle) return null;
        return EntryBundle.Unpack(bundle, artifactKey, out string? corruption)
            ?? (corruption is null ? null : throw RemoteCorrupt("entry", artifactKey, corruption));
    }

    // The next miss overwrites the value on the remote (unless read-only): the remote heals too.
    private static CorruptEntryException RemoteCorrupt(string kind, string key, string why) =>
        new($"the remote cache's {kind} {key} is corrupt ({why}) and was refused");

    /// <summary>The first of <paramref name="results"/> whose inputs still hold, delivered; else why none did.</summary>
    private (CompileResult? Hit, string MissReason, string? ChangedInput) TryResults(IReadOnlyList<ManifestResult> results, bool fromRemote,
        CompileInvocation invocation, ContextKey key, CacheableCompile compile, long started, long keyed, SessionRecorder? session)
    {
        string reason = results.Count == 0 ? "context_not_found" : "input_changed";
        string? changed = null;
        var inputs = Inputs();
        foreach (ManifestResult result in results)
        {
            var differs = result.Dependencies.FirstOrDefault(d => !((d.Stamp is { } stamp && inputs.StillHas(compile.Here(d.Path), stamp))
                || CurrentDigest(compile.Here(d.Path), invocation, inputs) == d.Sha256));
            if (differs is not null)
            {
                changed ??= compile.Here(differs.Path); // the newest result's first changed input explains the miss best
                continue;
            }
            if (result.Absent.Any(g => g.Names.Any(n => inputs.Exists(compile.Here(g.Directory), n)))) { reason = "include_shadowed"; continue; }
            bool remoteEntry = false;
            CacheEntry? entry = _store!.Read(result.ArtifactKey);
            if (entry is null && RemoteEntry(result.ArtifactKey) is { } fetched)
            {
                _store.Publish(result.ArtifactKey, fetched); // backfill: later hits are local, and the local store verifies it
                entry = _store.Read(result.ArtifactKey);
                remoteEntry = entry is not null;
            }
            if (entry is null) { reason = "no_artifact_for_key"; continue; }
            if (entry.ExitCode != 0 && !compile.FailedRunListsEveryInput) continue; // a failure an earlier version stored: never replayed
            bool complete = compile.Outputs.All(o => entry.Output(o.Name) is not null);
            if (entry.ExitCode == 0 && !complete) { _store.Remove(result.ArtifactKey); reason = "no_artifact_for_key"; continue; }

            long found = Stopwatch.GetTimestamp();
            foreach (CompileOutput output in compile.Outputs)
            {
                if (entry.Output(output.Name) is not { } stored)
                {
                    if (File.Exists(output.Path)) File.Delete(output.Path); // a failed compile leaves no output
                }
                else if (compile.BaseDir is not null && output.Name == "depfile") // a depfile names paths: this checkout's
                    FileDelivery.Deliver(output.Path, Encoding.UTF8.GetBytes(compile.Here(Encoding.UTF8.GetString(stored.Data))), null);
                else FileDelivery.Deliver(output.Path, stored.Data, stored.PathInStore, stored.Executable);
            }

            long delivered = Stopwatch.GetTimestamp();
            var outcome = new CompileOutcome
            {
                Kind = entry.ExitCode == 0 ? OutcomeKind.Hit : OutcomeKind.CachedError,
                Step = compile.Step,
                Source = compile.Context.SourceFile.Value,
                ContextKey = key.Hex,
                LatencyNs = Elapsed(started, delivered),
                OriginalNs = entry.CompileDurationNs,
                Bytes = entry.TotalBytes,
                ExitCode = entry.ExitCode,
                Phases = new Phases(Elapsed(started, keyed), Elapsed(keyed, found), 0, 0, Elapsed(found, delivered)),
                Remote = remoteEntry || fromRemote,
            };
            Record(session, outcome, invocation);
            return (new CompileResult
            {
                ExitCode = entry.ExitCode, Stdout = entry.Stdout, Stderr = entry.Stderr, Outcome = outcome,
                Inputs = entry.ExitCode == 0 ? new(() => InputsHere(compile, result, inputs)) : null,
            }, "", null);
        }
        return (null, reason, reason == "input_changed" ? changed : null);
    }

    /// <summary>
    /// A recorded dependency's digest now: a file's content hash, or for <c>env:NAME</c> (rustc's
    /// <c>env!</c> reads) the hash of the variable's value as the compile sees it.
    /// </summary>
    private static string? CurrentDigest(string dependency, CompileInvocation invocation, InputSnapshot inputs) =>
        dependency.StartsWith(EnvPrefix, StringComparison.Ordinal)
            ? EnvDigest(invocation.GetEnvironmentVariable(dependency[EnvPrefix.Length..]) is { } v ? DepFile.EscapeEnvValue(v) : null)
            : inputs.Get(dependency)?.Hash.Hex;

    private const string EnvPrefix = "env:";

    private static string EnvDigest(string? escapedValue) =>
        ContentHash.Of(escapedValue is null ? [0] : Encoding.UTF8.GetBytes("=" + escapedValue)).Hex;

    private CompileResult CompileAndStore(string compilerPath, CompileInvocation invocation, CacheableCompile compile, ContextKey key,
        (string Reason, string? ChangedInput, Phases Phases) miss, SessionRecorder? session, List<Diagnostic> diagnostics)
    {
        // Ask the compiler for its dependencies unless the user already does (fully): a depfile of the cache's own, or cl's include notes.
        string? privateDepfile = compile.DependencyFile is null && compile.IncludeNotes is null
            ? Path.Join(_store!.Layout.Staging, $"deps.{Environment.ProcessId}.{Guid.NewGuid():N}.d")
            : null;
        // cl's /showIncludes goes first: after a "--" it would be read as a source.
        var args = compile.IncludeNotes is not null ? [.. compile.DependencyArguments(""), .. compile.Arguments]
            : privateDepfile is null || compile.DependencyScan is not null ? compile.Arguments.ToList()
            : [.. compile.Arguments, .. compile.DependencyArguments(privateDepfile)];
        // A compile that links: the linker lists what it read in a dependency file of its own.
        string? linkDepfile = compile.Link is null ? null : Path.Join(_store!.Layout.Staging, $"link.{Environment.ProcessId}.{Guid.NewGuid():N}.d");
        if (linkDepfile is not null) args.AddRange(compile.Link!.DependencyArguments(linkDepfile));
        // The anchor: an input whose mtime or ctime is not older than this was (maybe) written while the compiler read it.
        long startedNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        ProcessResult run = RunCompiler(compilerPath, args, invocation, diagnostics);
        if (run.StartError is not null) return Plain(run, null, session, invocation, diagnostics); // nothing ran: nothing to store
        if (privateDepfile is not null && compile.DependencyScan is not null && (run.ExitCode == 0 || compile.FailedRunListsEveryInput))
        {
            // The user's depfile is partial: a preprocessing run of the cache's own lists every input (here, never through the prefix).
            var scan = CompilerProcess.Run(compilerPath, compile.DependencyScan(privateDepfile), invocation.WorkingDirectory, invocation.Environment);
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
            && (compile.IsEnvironmentFailure(run.Stderr) || CompilerProcess.Text(run.Stderr).Contains(linkDepfile, StringComparison.Ordinal)))
        {
            if (privateDepfile is not null) AtomicFile.TryDelete(privateDepfile);
            AtomicFile.TryDelete(linkDepfile);
            return RunPlain(compilerPath, invocation, new NonCacheable(NonCacheableReason.LinkFailed, ""), session, diagnostics);
        }

        // Our depfile's name is unique: if the compiler's errors name it, the cache's disk failed it
        // (full, read-only), not the user's code.
        if (run.ExitCode != 0 && privateDepfile is not null
            && CompilerProcess.Text(run.Stderr).Contains(privateDepfile, StringComparison.Ordinal))
        {
            AtomicFile.TryDelete(privateDepfile);
            // The compiler could not write our depfile (cache dir trouble): the user's compile must not suffer.
            diagnostics.Add(new Diagnostic(ZcCodes.CacheIoError, "the compiler could not write its dependency file into the cache; compiled without the cache."));
            return RunPlain(compilerPath, invocation, new NonCacheable(NonCacheableReason.NoDependencyInfo, "depfile not writable"), session, diagnostics);
        }

        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.Miss,
            Step = compile.Step,
            Source = compile.Context.SourceFile.Value,
            ContextKey = key.Hex,
            LatencyNs = run.DurationNs,
            ExitCode = run.ExitCode,
            Reason = miss.Reason,
            ChangedInput = miss.ChangedInput,
        };
        long storing = Stopwatch.GetTimestamp();
        ManifestResult? stored = null;
        try
        {
            (outcome, stored) = Store(invocation, compile, key, run, privateDepfile ?? compile.DependencyFile, linkDepfile, noted, outcome, startedNs);
        }
        catch (Exception e) when (IsCacheFault(e))
        {
            diagnostics.Add(new Diagnostic(ZcCodes.CacheIoError, $"storing the result in the cache failed ({e.Message}); the compile itself is unaffected."));
        }
        finally
        {
            if (privateDepfile is not null) AtomicFile.TryDelete(privateDepfile);
            if (linkDepfile is not null) AtomicFile.TryDelete(linkDepfile);
        }
        outcome = outcome with { Phases = miss.Phases with { CompileNs = run.DurationNs, StoreNs = Elapsed(storing, Stopwatch.GetTimestamp()) } };
        Record(session, outcome, invocation);
        return new CompileResult
        {
            ExitCode = run.ExitCode, Stdout = run.Stdout, Stderr = run.Stderr, Outcome = outcome,
            Diagnostics = diagnostics, Inputs = run.ExitCode == 0 && stored is not null ? new(() => InputsHere(compile, stored, verified: null)) : null,
        };
    }

    /// <summary>Stores the run as an entry and a manifest result; returns the outcome and, when it was stored, the result.</summary>
    private (CompileOutcome, ManifestResult?) Store(CompileInvocation invocation, CacheableCompile compile, ContextKey key, ProcessResult run, string? depfilePath,
        string? linkDepfile, List<string>? noted, CompileOutcome outcome, long startedNs)
    {
        if (run.ExitCode != 0 && !compile.FailedRunListsEveryInput) return (outcome with { Reason = "no_dependency_info" }, null);
        // The dependencies: the depfile's prerequisites, or the source and the files the include notes named.
        string depText = "";
        if (noted is null)
        {
            if (depfilePath is null || !File.Exists(depfilePath)) return (outcome with { Reason = "no_dependency_info" }, null);
            depText = Encoding.UTF8.GetString(File.ReadAllBytes(depfilePath));
        }
        else if (noted.Count == 0 && IncludeNotes.MayInclude(compile.Context)) return (outcome with { Reason = "no_dependency_info" }, null);

        var dependencies = new List<RecordedDependency>();
        bool usesTimeMacros = false, namesHiddenInput = false, changedWhileCompiling = false;
        var inputs = Inputs();
        IEnumerable<string> reported = noted is null ? DepFile.ParsePrerequisites(depText) : noted.Prepend(compile.Context.SourceFile.Value);
        var paths = reported.Select(dep => Path.GetFullPath(dep, invocation.WorkingDirectory)).Distinct().ToList();
        if (compile.HiddenDependencies is not null) paths = [.. paths, .. compile.HiddenDependencies(paths).Except(paths)];
        // Where a new file would be found first; and the precompiled headers used, which no depfile lists.
        var (absentPaths, precompiled) = ShadowCandidates.For(compile.Search, compile.Context, paths, invocation.WorkingDirectory,
            p => inputs.Exists(Path.GetDirectoryName(p)!, Path.GetFileName(p)));
        paths = [.. paths, .. precompiled.Except(paths)];
        if (compile.Link is { } link && run.ExitCode == 0)
        {
            // What the link read, as the linker reported it (the compile's own intermediates left out), and where a new library would be found first.
            if (linkDepfile is null || !File.Exists(linkDepfile)) return (outcome with { Reason = "no_dependency_info" }, null);
            var linked = DepFile.ParsePrerequisites(Encoding.UTF8.GetString(File.ReadAllBytes(linkDepfile)))
                .Select(dep => Path.GetFullPath(dep, invocation.WorkingDirectory)).Where(dep => !link.IsIntermediate(dep)).Distinct().ToList();
            paths = [.. paths, .. linked.Except(paths)];
            absentPaths = [.. absentPaths, .. Linking.LinkCommandLine.LibraryShadows(link.Libraries, linked).Distinct()
                .Where(p => !inputs.Exists(Path.GetDirectoryName(p)!, Path.GetFileName(p)))];
        }
        foreach (string path in paths)
        {
            // Hashed now, not from the batch's snapshot: a header saved while an earlier compile of the
            // batch ran is recorded with the content this compile read (the anchor below covers this one).
            if (_memo.Get(path) is not { } facts) return (outcome with { Reason = "no_dependency_info" }, null);
            // A precompiled header is binary, and a fixed input: its bytes name every builtin macro, time macros included.
            bool text = !precompiled.Contains(path);
            usesTimeMacros |= text && facts.UsesTimeMacros;
            namesHiddenInput |= text && facts.NamesHiddenInput;
            changedWhileCompiling |= FileStamp.Read(path) is not { } now || now.MtimeNs >= startedNs || now.CtimeNs >= startedNs;
            dependencies.Add(new RecordedDependency(compile.Recorded(path), facts.Hash.Hex) { Stamp = facts.SettledStamp });
        }
        if (dependencies.Count == 0) return (outcome with { Reason = "no_dependency_info" }, null);
        foreach (var (name, value) in DepFile.ParseEnvDeps(depText))
            dependencies.Add(new RecordedDependency(EnvPrefix + name, EnvDigest(value)));

        if (compile.TimeMacrosMatter && usesTimeMacros && string.IsNullOrEmpty(invocation.GetEnvironmentVariable("SOURCE_DATE_EPOCH")))
        {
            return (outcome with { Kind = OutcomeKind.NonCacheable, Reason = new NonCacheable(NonCacheableReason.TimeMacros, "").Code }, null);
        }
        if (namesHiddenInput && compile.TimeMacrosMatter)
            return (outcome with { Kind = OutcomeKind.NonCacheable, Reason = new NonCacheable(NonCacheableReason.HiddenInput, "").Code }, null);
        if (changedWhileCompiling)
            return (outcome with { Kind = OutcomeKind.NonCacheable, Reason = new NonCacheable(NonCacheableReason.ChangedWhileCompiling, "").Code }, null);

        var outputs = new List<EntryOutput>();
        if (run.ExitCode == 0)
        {
            foreach (CompileOutput output in compile.Outputs)
            {
                if (!File.Exists(output.Path)) return (outcome with { Reason = "no_output" }, null);
                byte[] data = File.ReadAllBytes(output.Path);
                // A depfile names its inputs: under a base directory it is stored with the marker, as the manifest is.
                if (compile.BaseDir is not null && output.Name == "depfile") data = Encoding.UTF8.GetBytes(compile.Recorded(Encoding.UTF8.GetString(data)));
                outputs.Add(new EntryOutput(output.Name, data) { Executable = FileDelivery.IsExecutable(output.Path) });
            }
        }
        else if (FailedBecauseOfTheOutput(compile, run)) return (outcome with { Reason = "output_not_writable" }, null);
        else if (compile.IsEnvironmentFailure(run.Stderr)) return (outcome with { Reason = "environment_failure" }, null);
        // Through a prefix, the wrapper's own failures (distcc: no host reachable) cannot be told from the code's: not replayed.
        else if (invocation.PrefixCommand.Count > 0) return (outcome with { Reason = "environment_failure" }, null);

        var entry = new CacheEntry
        {
            Outputs = outputs,
            Stdout = run.Stdout,
            Stderr = run.Stderr,
            ExitCode = run.ExitCode,
            CompileDurationNs = run.DurationNs,
        };
        string artifactKey = key.Derive("artifact", dependencies.SelectMany(d => new[] { d.Path, d.Sha256 }));
        var absent = AbsentGroup.From(absentPaths.Select(compile.Recorded));
        bool published = _store!.Publish(artifactKey, entry);
        var stored = new ManifestResult(artifactKey, dependencies) { Absent = absent };
        Manifest merged = _store.AddToManifest(key.Hex, stored);
        if (_remote is { ReadOnly: false })
        {
            _remote.Put(RemoteNamespace.Entry, artifactKey, EntryBundle.Pack(artifactKey, entry));
            _remote.Put(RemoteNamespace.Manifest, key.Hex, EntryBundle.Compress(merged.ToBytes(key.Hex)));
        }
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

    private CompileResult RunPlain(string compilerPath, CompileInvocation invocation, NonCacheable? why, SessionRecorder? session, List<Diagnostic> diagnostics) =>
        Plain(RunCompiler(compilerPath, invocation.Arguments, invocation, diagnostics), why, session, invocation, diagnostics);

    private int _prefixWarned;

    /// <summary>
    /// Runs the compiler, through the invocation's prefix command when it has one (<c>distcc gcc …</c>). A prefix that
    /// cannot be started is not the compile's fault: said once per cache instance (ZC1010), and the compiler runs here.
    /// </summary>
    private ProcessResult RunCompiler(string compilerPath, IReadOnlyList<string> args, CompileInvocation invocation, List<Diagnostic> diagnostics)
    {
        if (invocation.PrefixCommand.Count > 0)
        {
            string program = invocation.PrefixCommand[0];
            string prefix = CompilerIdentity.Resolve(program, invocation.WorkingDirectory, invocation.GetEnvironmentVariable("PATH")) ?? program;
            ProcessResult run = CompilerProcess.Run(prefix, [.. invocation.PrefixCommand.Skip(1), compilerPath, .. args], invocation.WorkingDirectory, invocation.Environment);
            if (run.StartError is null) return run;
            if (Interlocked.Exchange(ref _prefixWarned, 1) == 0)
                diagnostics.Add(new Diagnostic(ZcCodes.PrefixNotRunnable, $"the prefix command '{program}' cannot be run ({run.StartError}); compiling locally without it."));
        }
        return CompilerProcess.Run(compilerPath, args, invocation.WorkingDirectory, invocation.Environment);
    }

    private static CompileResult Plain(ProcessResult run, NonCacheable? why, SessionRecorder? session, CompileInvocation invocation, List<Diagnostic> diagnostics)
    {
        if (run.StartError is { } error)
            diagnostics.Add(new Diagnostic(ZcCodes.CompilerNotRunnable, $"the compiler '{invocation.Compiler}' cannot be run: {error}.", IsError: true));
        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.NonCacheable,
            LatencyNs = run.DurationNs,
            ExitCode = run.ExitCode,
            Reason = run.StartError is not null ? "compiler_not_runnable" : why?.Code ?? "cache_disabled",
            Phases = new Phases(0, 0, run.DurationNs, 0, 0),
        };
        Record(session, outcome, invocation);
        return new CompileResult
        {
            ExitCode = run.ExitCode, Stdout = run.Stdout, Stderr = run.Stderr, Outcome = outcome,
            Diagnostics = diagnostics,
        };
    }
}
