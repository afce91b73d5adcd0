using System.Globalization;
using System.Text;
using System.Text.Json;
using Zccache.Core.Diagnostics;
using Zccache.Core.Reporting;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Cli.Commands;

/// <summary>
/// <c>session-start</c>, <c>session-stats</c>, <c>session-end</c>: explicit sessions for a CI job.
/// Export the id as <c>ZCCACHE_SESSION_ID</c> and every build, test and pack in between counts in
/// it; <c>session-end</c> prints the totals and publishes the CI summary.
/// </summary>
public static class SessionCommands
{
    public static int Start(List<string> args, Output output)
    {
        bool json = Output.Flag(args, "--json");
        Output.Flag(args, "--stats"); // statistics are always kept; accepted as zccache does
        bool profile = Output.Flag(args, "--profile");
        string? journal = Output.Option(args, "--journal");
        if (args.Count > 0) return output.Error(ZcCodes.BadArguments, $"unexpected '{args[0]}'. {Usage}", 2);
        if (journal is { Length: 0 }) return output.Error(ZcCodes.BadArguments, "--journal needs a file name.", 2);
        string? journalPath = journal is null ? null : Path.GetFullPath(journal);
        if (journalPath is not null && Journal.PathProblem(journal!) is { } problem)
            return output.Error(ZcCodes.BadSessionConfig, problem, 2);

        var layout = new CacheLayout(CacheLayout.DefaultRoot());
        var id = SessionId.New();
        try
        {
            layout.EnsureCreated();
            new SessionFolder(layout, id)
                .EnsureCreated(Environment.ProcessId, isExplicit: true, Environment.CurrentDirectory, journalPath, profile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return output.Error(ZcCodes.CacheDirUnusable, $"the cache directory '{layout.Root}' cannot be used ({e.Message}).");
        }
        if (!json) return output.Out(id.ToString());
        return output.Out(Json(w =>
        {
            w.WriteString("session_id", id.ToString());
            w.WriteString("cache_dir", layout.Root);
            if (journalPath is not null) w.WriteString("journal", journalPath); else w.WriteNull("journal");
            w.WriteBoolean("profile", profile);
        }));
    }

    public static int Stats(List<string> args, Output output)
    {
        bool json = Output.Flag(args, "--json");
        if (Find(args, output, out var folder) is { } failed) return failed;
        var stats = folder!.ReadFinal() ?? folder.Aggregate().Total;
        return output.Out(json ? StatsReport.Json(stats) : StatsReport.Text(stats, folder.IsEnded ? "ended" : "running"));
    }

    public static int End(List<string> args, Output output)
    {
        bool json = Output.Flag(args, "--json");
        if (Find(args, output, out var folder) is { } failed) return failed;
        bool alreadyEnded = folder!.IsEnded;
        var report = folder.Aggregate();
        var stats = folder.End(alreadyEnded ? null : report.Total);
        if (!alreadyEnded)
        {
            var ci = CiSummary.Publish(report with { Total = stats }, Environment.GetEnvironmentVariable,
                Core.Configuration.ZccacheSettings.OfThisProcess().CiSummary, folder.Path);
            // Azure's ##vso command: on standard error with --json, so standard output stays the stats alone.
            foreach (string line in ci.OutputLines) { if (json) output.Err(line); else output.Out(line); }
            foreach (var d in ci.Diagnostics) output.Err($"zccache: warning {d.Code}: {d.Message}");
        }
        return output.Out(json ? StatsReport.Json(stats) : StatsReport.Text(stats, alreadyEnded ? "already ended" : "ended"));
    }

    private const string Usage = "usage: zccache session-start [--stats] [--journal <file.jsonl>] [--profile] [--json]"
        + " | session-stats <id> [--json] | session-end <id> [--json]";

    /// <summary>The session named by the one remaining argument, or the exit code of a clear error.</summary>
    private static int? Find(List<string> args, Output output, out SessionFolder? folder)
    {
        folder = null;
        if (args.Count != 1) return output.Error(ZcCodes.BadArguments, $"one session id expected. {Usage}", 2);
        if (!SessionId.TryParse(args[0], out var id))
            return output.Error(ZcCodes.BadSessionId, $"'{args[0]}' is not a session id (a UUID).", 2);
        var layout = new CacheLayout(CacheLayout.DefaultRoot());
        folder = new SessionFolder(layout, id);
        if (!folder.Exists) return output.Error(ZcCodes.UnknownSession, $"no session {id} in {layout.Root}.");
        return null;
    }

    /// <summary>A small JSON object, for <c>--json</c>.</summary>
    public static string Json(Action<Utf8JsonWriter> body) => Encoding.UTF8.GetString(JsonText.WriteObject(body, indented: true));
}
