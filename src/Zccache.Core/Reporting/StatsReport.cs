using System.Globalization;
using System.Text;
using Zccache.Core.Sessions;

namespace Zccache.Core.Reporting;

/// <summary>Finalized session statistics as the summary line, per-project lines and the stats-file JSON.</summary>
public static class StatsReport
{

    /// <summary>e.g. "zccache: 40 compilations, 38 hits, 2 misses, 0 non-cacheable
    /// (95.0% hit rate), saved 31.2 s of compile time (~15.6 s wall)".</summary>
    public static string SummaryLine(FinalizedSessionStats s) => "zccache: " + Counts(s);

    /// <summary>One line per project, for normal verbosity.</summary>
    public static string ProjectLine(string project, FinalizedSessionStats s) => $"zccache:   {Path.GetFileName(project)}: {Counts(s)}";

    private static string Counts(FinalizedSessionStats s)
    {
        var c = CultureInfo.InvariantCulture;
        string rate = s.HitRate is { } r ? string.Format(c, " ({0:0.0}% hit rate)", r * 100) : "";
        string errors = s.ErrorsCached > 0 ? $", {s.ErrorsCached} cached error{(s.ErrorsCached == 1 ? "" : "s")}" : "";
        string failed = s.Errors > 0 ? $", {s.Errors} failed" : "";
        string remote = s.RemoteHits > 0 ? $" ({s.RemoteHits} remote)" : "";
        string upToDate = s.UpToDate > 0 ? $", {s.UpToDate} up to date" : "";
        string remoteFaults = s.RemoteFaults > 0 ? "; the remote cache failed, local cache only" : "";
        return string.Format(c, "{0} compilation{1}, {2} hit{3}{10}, {4} miss{5}, {6} non-cacheable{7}{8}{9}{11}{14}, {12}{13}",
            s.Compilations, s.Compilations == 1 ? "" : "s", s.Hits, s.Hits == 1 ? "" : "s", s.Misses, s.Misses == 1 ? "" : "es",
            s.NonCacheable, errors, failed, rate, remote, upToDate, Saved(s), remoteFaults, s.HasLinks ? "; links: " + Links(s) : "");
    }

    /// <summary>"1 hit, 0 misses, 0 up to date": the links, counted apart from compiles.</summary>
    public static string Links(FinalizedSessionStats s) =>
        $"{s.LinkHits} hit{(s.LinkHits == 1 ? "" : "s")}, {s.LinkMisses} miss{(s.LinkMisses == 1 ? "" : "es")}, "
        + $"{s.LinkUpToDate} up to date";

    /// <summary>"saved 31.2 s of compile time (~15.6 s wall)": the compile
    /// time the hits avoided, and what it is worth in wall time.</summary>
    public static string Saved(FinalizedSessionStats s) =>
        string.Format(CultureInfo.InvariantCulture, "saved {0:0.0} s of compile time (~{1:0.0} s wall)", s.TimeSavedMs / 1000.0,
            s.WallTimeSavedMs / 1000.0);

    /// <summary>The finalized stats as text, one field per line.</summary>
    public static string Text(FinalizedSessionStats s, string state)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"session {s.SessionId} ({state})\n");
        text.Append(c, $"  compilations   {s.Compilations}\n");
        text.Append(c, $"  hits           {s.Hits}\n");
        text.Append(c, $"  misses         {s.Misses}\n");
        text.Append(c, $"  non-cacheable  {s.NonCacheable}\n");
        text.Append(c, $"  cached errors  {s.ErrorsCached}\n");
        text.Append(c, $"  hit rate       {(s.HitRate is { } r ? (r * 100).ToString("0.0", c) + "%" : "-")}\n");
        if (s.HasLinks) text.Append(c, $"  links          {Links(s)}\n");
        text.Append(c, $"  time saved     {(s.TimeSavedMs / 1000.0).ToString("0.0", c)} s\n");
        return text.ToString();
    }

    /// <summary>The stats file: the finalized stats with the documented snake_case field names.</summary>
    public static string Json(FinalizedSessionStats s) => Encoding.UTF8.GetString(s.ToJson(indented: true));

    public static void WriteJson(string path, FinalizedSessionStats s)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        Storage.AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(Json(s) + "\n"), ownerOnly: false);
    }
}
