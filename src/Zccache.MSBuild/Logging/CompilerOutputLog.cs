using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Build.Utilities;

namespace Zccache.MSBuild.Logging;

/// <summary>
/// Shows what a compiler printed as MSBuild shows it: gcc/clang diagnostics
/// (<c>file:line:col: warning: text [-Wflag]</c>) become warnings and errors with their location,
/// cl's (<c>file(line): error C2065: text</c>) and clang-cl's (<c>file(line,col): error: text</c>)
/// alike; other lines messages. Used for real runs and replays alike, so a hit looks like a compile.
/// </summary>
public static partial class CompilerOutputLog
{
    [GeneratedRegex(@"^(?<file>.+?):(?<line>\d+):(?:(?<col>\d+):)? (?<kind>warning|error|fatal error): (?<text>.*?)(?: "
        + @"\[(?<flag>-W[^\]]+)\])?$")]
    private static partial Regex LocatedDiagnostic();

    [GeneratedRegex(@"^(?<file>.+?)\((?<line>\d+)(?:,(?<col>\d+))?\) ?: (?<kind>warning|error|fatal error)(?: (?<code>[A-Z]+\d+))?: "
        + @"(?<text>.*?)(?: \[(?<flag>-W[^\]]+)\])?$")]
    private static partial Regex MsvcDiagnostic();

    /// <summary>cl's own: <c>cl : Command line error D8003 : missing source filename</c>.</summary>
    [GeneratedRegex(@"^(?<tool>[^\s:]+) : (?:Command line )?(?<kind>warning|error|fatal error) (?<code>[A-Z]+\d+) ?: (?<text>.*)$")]
    private static partial Regex MsvcToolDiagnostic();

    [GeneratedRegex(@"^(?<tool>[^\s:]+): (?<kind>warning|error|fatal error): (?<text>.*)$")]
    private static partial Regex ToolDiagnostic();

    /// <summary>Logs the output; returns how many errors it logged.</summary>
    public static int Write(TaskLoggingHelper log, string text)
    {
        int errors = 0;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            var m = LocatedDiagnostic().Match(line);
            if (!m.Success) m = MsvcDiagnostic().Match(line);
            if (m.Success)
            {
                string file = m.Groups["file"].Value;
                int lineNo = int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture);
                int col = m.Groups["col"].Success ? int.Parse(m.Groups["col"].Value, CultureInfo.InvariantCulture) : 0;
                string code = m.Groups["code"].Success ? m.Groups["code"].Value : m.Groups["flag"].Value;
                if (m.Groups["kind"].Value == "warning")
                    log.LogWarning(null, code, null, file, lineNo, col, 0, 0, "{0}", m.Groups["text"].Value);
                else
                {
                    log.LogError(null, code, null, file, lineNo, col, 0, 0, "{0}", m.Groups["text"].Value);
                    errors++;
                }
                continue;
            }
            var t = MsvcToolDiagnostic().Match(line);
            if (!t.Success) t = ToolDiagnostic().Match(line);
            if (t.Success && t.Groups["kind"].Value != "warning")
            {
                log.LogError(null, null, null, t.Groups["tool"].Value, 0, 0, 0, 0, "{0}", t.Groups["text"].Value);
                errors++;
                continue;
            }
            log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "{0}", line);
        }
        return errors;
    }
}
