using System.Text;

namespace Zccache.Core.Compilers;

/// <summary>Splits command-line text as Windows programs do (CommandLineToArgvW):
/// for cl's response files and its CL/_CL_ variables.</summary>
public static class WindowsCommandLine
{
    /// <summary>
    /// Splits on unquoted white space. Double quotes group (<c>""</c> inside quotes is one quote);
    /// backslashes are literal except before a quote: 2n of them and a quote give n and a grouping
    /// quote, 2n+1 give n and a literal quote.
    /// </summary>
    public static List<string> Split(string text)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        bool inArg = false, quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\')
            {
                int n = 0;
                while (i < text.Length && text[i] == '\\') { n++; i++; }
                if (i < text.Length && text[i] == '"')
                {
                    current.Append('\\', n / 2);
                    if (n % 2 == 1) current.Append('"');
                    else i--; // the quote groups: seen again below
                }
                else { current.Append('\\', n); i--; }
                inArg = true;
            }
            else if (c == '"')
            {
                if (quoted && i + 1 < text.Length && text[i + 1] == '"') { current.Append('"'); i++; }
                else quoted = !quoted;
                inArg = true;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (inArg) { args.Add(current.ToString()); current.Clear(); inArg = false; }
            }
            else { current.Append(c); inArg = true; }
        }
        if (inArg) args.Add(current.ToString());
        return args;
    }
}
