using Zccache.Core.Configuration;
using Zccache.Core.Diagnostics;
using Zccache.Core.Storage;

namespace Zccache.Cli.Commands;

/// <summary><c>zccache trim</c> (down to the budget, least recently used first) and <c>zccache clear</c> (every entry).</summary>
public static class CacheCommands
{
    public static int Trim(List<string> args, Output output)
    {
        bool json = Output.Flag(args, "--json");
        string? size = Output.Option(args, "--size");
        if (args.Count > 0)
            return output.Error(ZcCodes.BadArguments, $"unexpected '{args[0]}'. usage: zccache trim [--size <20G>] [--json]", 2);
        var layout = new CacheLayout(CacheLayout.DefaultRoot());
        long budget;
        try { budget = ZccacheSettings.OfThisProcess().WithUnlessEmpty(ZccacheSettings.Names.CacheSize, size).CacheBudget(layout.Root); }
        catch (FormatException e) { return output.Error(ZcCodes.BadArguments, e.Message, 2); }
        // An explicit trim removes what the budget says, recently used or not.
        var r = Eviction.Trim(layout, budget, grace: TimeSpan.Zero);
        if (json)
        {
            return output.Out(SessionCommands.Json(w =>
            {
                w.WriteNumber("budget_bytes", r.Budget);
                w.WriteNumber("size_before_bytes", r.SizeBefore);
                w.WriteNumber("size_after_bytes", r.SizeAfter);
                w.WriteNumber("entries_removed", r.EntriesRemoved);
                w.WriteNumber("entries_kept", r.EntriesKept);
            }));
        }
        return output.Out($"trimmed {layout.Root} from {CacheBudget.Format(r.SizeBefore)} to {CacheBudget.Format(r.SizeAfter)} " +
                          $"(budget {CacheBudget.Format(r.Budget)}): {r.EntriesRemoved} entries removed, {r.EntriesKept} kept");
    }

    public static int Clear(List<string> args, Output output)
    {
        if (args.Count > 0) return output.Error(ZcCodes.BadArguments, $"unexpected '{args[0]}'. usage: zccache clear", 2);
        var layout = new CacheLayout(CacheLayout.DefaultRoot());
        Eviction.Clear(layout);
        return output.Out($"cleared {layout.Root} (sessions kept)");
    }
}
