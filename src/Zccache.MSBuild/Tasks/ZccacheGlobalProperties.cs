using Microsoft.Build.Framework;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// This project instance's global properties: their names (so the session project can be called
/// with none of them, and every project reaches the same instance of it) and a fingerprint (so two
/// instances of one project, e.g. two target frameworks, are told apart).
/// </summary>
public sealed class ZccacheGlobalProperties : Microsoft.Build.Utilities.Task
{
    /// <summary>Names left out of <see cref="Names"/>: the ones the caller passes to the session project itself.</summary>
    public string[] Keep { get; set; } = [];

    [Output] public string Names { get; set; } = "";
    [Output] public string Fingerprint { get; set; } = "";

    public override bool Execute()
    {
        var globals = BuildEngine is IBuildEngine6 engine6
            ? engine6.GetGlobalProperties()
            : new Dictionary<string, string>();
        // Sorted as a list of names (LINQ over the dictionary's pairs would be code JIT-compiled at every build).
        List<string> names = [.. globals.Keys];
        names.Sort(StringComparer.OrdinalIgnoreCase);
        Names = string.Join(';', names.Where(k => !Keep.Contains(k, StringComparer.OrdinalIgnoreCase)));
        Fingerprint = string.Join('\n', names.Select(k => k + "=" + globals[k]));
        return true;
    }
}
