using System.Text;

namespace Zccache.Core.Compilers;

/// <summary>Reads the Makefile rule a compiler writes with <c>-MD -MF</c>: the prerequisites of its first rule.</summary>
public static class DepFile
{
    /// <summary>The dependency paths as written (relative ones are relative to the compile's working directory).</summary>
    public static List<string> ParsePrerequisites(string text)
    {
        var tokens = Tokenize(text);
        var deps = new List<string>();
        bool afterColon = false;
        foreach (var (token, endOfRule) in tokens)
        {
            if (!afterColon)
            {
                if (token.EndsWith(':')) afterColon = true;
                else if (token == ":") afterColon = true;
            }
            else if (token.Length > 0)
            {
                deps.Add(token);
            }
            if (endOfRule && afterColon) break; // first rule only; -MP adds empty phony rules after it
        }
        return deps;
    }

    /// <summary>
    /// rustc's <c># env-dep:NAME=value</c> lines (the variables <c>env!</c> read), value as rustc
    /// escapes it; null when the variable was unset.
    /// </summary>
    public static List<(string Name, string? Value)> ParseEnvDeps(string text)
    {
        const string Prefix = "# env-dep:";
        var result = new List<(string, string?)>();
        foreach (string line in text.Split('\n'))
        {
            if (!line.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            string rest = line[Prefix.Length..].TrimEnd('\r');
            int eq = rest.IndexOf('=');
            result.Add(eq < 0 ? (rest, null) : (rest[..eq], rest[(eq + 1)..]));
        }
        return result;
    }

    /// <summary>An environment value escaped as rustc writes it in dep-info.</summary>
    public static string EscapeEnvValue(string value) =>
        value.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r");

    // Splits into white-space separated words, honouring "\ " (escaped space), "$$" and "\"-newline continuations.
    private static List<(string Token, bool EndOfRule)> Tokenize(string text)
    {
        var result = new List<(string, bool)>();
        var current = new StringBuilder();
        void Flush(bool end)
        {
            if (current.Length > 0) { result.Add((current.ToString(), end)); current.Clear(); }
            else if (end && result.Count > 0) result[^1] = (result[^1].Item1, true);
        }
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] == '\n') { i++; Flush(false); continue; }
            if (c == '\\' && i + 2 < text.Length && text[i + 1] == '\r' && text[i + 2] == '\n') { i += 2; Flush(false); continue; }
            if (c == '\\' && i + 1 < text.Length && (text[i + 1] == ' ' || text[i + 1] == '#')) { current.Append(text[++i]); continue; }
            if (c == '$' && i + 1 < text.Length && text[i + 1] == '$') { current.Append('$'); i++; continue; }
            if (c == '\n') { Flush(true); continue; }
            if (c is ' ' or '\t' or '\r') { Flush(false); continue; }
            current.Append(c);
            // "target: dep" — a colon ending a word separates targets from prerequisites.
            if (c == ':' && (i + 1 >= text.Length || text[i + 1] is ' ' or '\t' or '\n' or '\r')) Flush(false);
        }
        Flush(true);
        return result;
    }
}
