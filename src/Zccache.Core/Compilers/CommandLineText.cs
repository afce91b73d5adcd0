using System.Text;

namespace Zccache.Core.Compilers;

/// <summary>Splits command-line text the way gcc reads response files (POSIX-like quoting).</summary>
public static class CommandLineText
{
    /// <summary>Splits on unquoted white space; single and double quotes group, backslash escapes the next character.</summary>
    public static List<string> Split(string text)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        bool inArg = false;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < text.Length) current.Append(text[++i]);
                else current.Append(c);
            }
            else if (c is '"' or '\'') { quote = c; inArg = true; }
            else if (c == '\\' && i + 1 < text.Length) { current.Append(text[++i]); inArg = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inArg) { args.Add(current.ToString()); current.Clear(); inArg = false; }
            }
            else { current.Append(c); inArg = true; }
        }
        if (quote != '\0') throw new FormatException("unterminated quote");
        if (inArg) args.Add(current.ToString());
        return args;
    }
}
