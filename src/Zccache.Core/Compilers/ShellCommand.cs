using System.Text;

namespace Zccache.Core.Compilers;

/// <summary>
/// A command line as a POSIX shell would run it, when it is one simple command: optional
/// <c>NAME=value</c> assignments, then words. Quotes and backslashes are honoured. Anything that
/// needs the shell itself (pipes, <c>&amp;&amp;</c>, <c>;</c>, redirections, variables,
/// substitutions, globs, several lines) is refused, so such commands go to the shell as written.
/// </summary>
public sealed record ShellCommand(IReadOnlyList<KeyValuePair<string, string>> Assignments, IReadOnlyList<string> Words)
{
    private const string Special = "|&;<>()$`*?[]{}~#!\n\r";
    private static readonly System.Buffers.SearchValues<char> SpecialValues = System.Buffers.SearchValues.Create(Special);

    /// <summary>The command, or null when it needs a shell (or is empty).</summary>
    public static ShellCommand? TryParse(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        string trimmed = text.Trim();
        for (int i = 0; i < trimmed.Length; i++)
        {
            char c = trimmed[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0'; else current.Append(c);
                continue;
            }
            if (quote == '"')
            {
                if (c == '"') quote = '\0';
                else if (c is '$' or '`') return null; // expansion inside double quotes
                else if (c == '\\' && i + 1 < trimmed.Length && trimmed[i + 1] is '"' or '\\') current.Append(trimmed[++i]);
                else current.Append(c);
                continue;
            }
            if (c is '\'' or '"') { quote = c; inWord = true; continue; }
            if (c == '\\')
            {
                if (i + 1 >= trimmed.Length || trimmed[i + 1] == '\n') return null; // line continuation
                current.Append(trimmed[++i]);
                inWord = true;
                continue;
            }
            if (c is ' ' or '\t')
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            if (Special.Contains(c)) return null;
            current.Append(c);
            inWord = true;
        }
        if (quote != '\0') return null;
        if (inWord) words.Add(current.ToString());

        var assignments = new List<KeyValuePair<string, string>>();
        int first = 0;
        while (first < words.Count && AsAssignment(words[first]) is { } a) { assignments.Add(a); first++; }
        return first < words.Count ? new ShellCommand(assignments, words.Skip(first).ToList()) : null;
    }

    /// <summary>The first word that is not an assignment, whatever else the line holds: what the command runs.</summary>
    public static string? FirstProgram(string text)
    {
        foreach (string word in text.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (AsAssignment(word) is not null) continue;
            string w = word.Trim('"', '\'');
            int end = w.AsSpan().IndexOfAny(SpecialValues);
            return end == 0 ? null : end > 0 ? w[..end] : w;
        }
        return null;
    }

    private static KeyValuePair<string, string>? AsAssignment(string word)
    {
        int eq = word.IndexOf('=');
        if (eq <= 0) return null;
        string name = word[..eq];
        if (!(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) return null;
        return new(name, word[(eq + 1)..]);
    }
}
