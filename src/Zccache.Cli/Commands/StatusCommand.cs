using System.Globalization;
using System.Text;
using Zccache.Cli.Server;
using Zccache.Core.Configuration;
using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;
using Zccache.Protocol;

namespace Zccache.Cli.Commands;

/// <summary><c>zccache status</c>: the cache directory, its entries and
/// size, its budget, and the totals of every session it has seen.</summary>
public static class StatusCommand
{
    public static int Run(List<string> args, Output output)
    {
        bool json = Output.Flag(args, "--json");
        if (args.Count > 0) return output.Error(ZcCodes.BadArguments, $"unexpected '{args[0]}'. usage: zccache status [--json]", 2);
        var layout = new CacheLayout(CacheLayout.DefaultRoot());
        long budget;
        try { budget = ZccacheSettings.OfThisProcess().CacheBudget(layout.Root); }
        catch (FormatException e) { return output.Error(ZcCodes.BadArguments, $"{ZccacheSettings.Names.CacheSize}: {e.Message}", 2); }

        var (bytes, entries) = Directory.Exists(layout.Store) ? Eviction.Usage(layout) : (0, 0);

        // Lifetime: every session in the cache, ended (final.json) or still running (its outcomes so far), and those removed.
        var sessions = new List<FinalizedSessionStats>();
        if (Directory.Exists(layout.Sessions))
        {
            foreach (string dir in Directory.EnumerateDirectories(layout.Sessions))
            {
                if (!SessionId.TryParse(Path.GetFileName(dir), out var id)) continue;
                var folder = new SessionFolder(layout, id);
                sessions.Add(folder.ReadFinal() ?? folder.Aggregate().Total);
            }
            sessions.AddRange(SessionRetention.ReadRetired(layout));
        }
        var lifetime = FinalizedSessionStats.Sum(sessions);

        var server = ServerCommands.Status(layout.Root);
        if (json)
        {
            return output.Out(SessionCommands.Json(w =>
            {
                w.WriteString("cache_dir", layout.Root);
                w.WriteNumber("entries", entries);
                w.WriteNumber("size_bytes", bytes);
                w.WriteNumber("budget_bytes", budget);
                w.WriteStartObject("lifetime");
                w.WriteNumber("sessions", lifetime.Sessions);
                w.WriteNumber("compilations", lifetime.Compilations);
                w.WriteNumber("hits", lifetime.Hits);
                w.WriteNumber("misses", lifetime.Misses);
                w.WriteNumber("non_cacheable", lifetime.NonCacheable);
                w.WriteNumber("errors_cached", lifetime.ErrorsCached);
                w.WriteNumber("time_saved_ms", lifetime.TimeSavedMs);
                w.WriteEndObject();
                if (server is null) w.WriteNull("server");
                else
                {
                    w.WriteStartObject("server");
                    w.WriteNumber("pid", server.Pid);
                    w.WriteString("started_utc", server.Started);
                    w.WriteNumber("served", server.Served);
                    w.WriteNumber("not_served", server.NotServed);
                    w.WriteNumber("active_sessions", server.ActiveSessions);
                    w.WriteString("socket", ServerAddress.For(layout.Root, ServerClient.EngineFile)?.Socket);
                    w.WriteEndObject();
                }
            }));
        }
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"cache dir      {layout.Root}\n");
        text.Append(c, $"entries        {entries}\n");
        text.Append(c, $"size           {(bytes / 1048576.0).ToString("0.0", c)} MiB\n");
        string over = bytes > budget ? " (over: trimmed at the next store, or run zccache trim)" : "";
        text.Append(c, $"budget         {CacheBudget.Format(budget)}{over}\n");
        text.Append(c, $"sessions       {lifetime.Sessions}\n");
        text.Append(c, $"compilations   {lifetime.Compilations} ({lifetime.Hits} hits, {lifetime.Misses} misses, ");
        text.Append(c, $"{lifetime.NonCacheable} non-cacheable, {lifetime.ErrorsCached} cached errors)\n");
        text.Append(c, $"time saved     {(lifetime.TimeSavedMs / 1000.0).ToString("0.0", c)} s\n");
        text.Append(server is null ? "server         not running\n"
            : string.Create(c, $"server         pid {server.Pid}, up since {server.Started:u}, {server.Served} served, "
                + $"{server.NotServed} not served, {server.ActiveSessions} active sessions\n"));
        return output.Out(text.ToString());
    }
}
