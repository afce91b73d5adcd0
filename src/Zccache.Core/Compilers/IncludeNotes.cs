using System.Text;
using System.Text.RegularExpressions;
using Zccache.Core.Contexts;

namespace Zccache.Core.Compilers;

/// <summary>
/// cl's <c>/showIncludes</c> notes on standard output ("Note: including file:" then the path,
/// indented by depth): the compile's dependency list. Taken out of the replayed output unless the
/// user asked for them (<see cref="Keep"/>). cl in another language writes another prefix: then no
/// note is recognised, and a source that includes something is not cached (no dependency info).
/// </summary>
public sealed partial record IncludeNotes(bool Keep)
{
    public const string Prefix = "Note: including file:";

    [GeneratedRegex(@"^\s*#\s*include", RegexOptions.Multiline)]
    private static partial Regex IncludeDirective();

    /// <summary>The included files (as written) and the output without the notes.</summary>
    public static (List<string> Files, byte[] Output) Split(byte[] stdout)
    {
        var files = new List<string>();
        var rest = new StringBuilder();
        string text = Encoding.UTF8.GetString(stdout);
        for (int start = 0; start < text.Length;)
        {
            int newline = text.IndexOf('\n', start);
            int end = newline < 0 ? text.Length : newline + 1;
            string line = text[start..end];
            if (line.StartsWith(Prefix, StringComparison.Ordinal)) files.Add(line[Prefix.Length..].Trim());
            else rest.Append(line);
            start = end;
        }
        return (files, files.Count == 0 ? stdout : Encoding.UTF8.GetBytes(rest.ToString()));
    }

    /// <summary>True when a compile with no notes may still have read headers:
    /// the source has an include directive or force-includes.</summary>
    public static bool MayInclude(CompileContext context)
    {
        if (context.ForceIncludes.Count > 0) return true;
        try { return IncludeDirective().IsMatch(File.ReadAllText(context.SourceFile.Value)); }
        catch (IOException) { return true; }
    }
}
