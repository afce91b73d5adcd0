namespace Zccache.Core.Compilers;

/// <summary>Expands <c>@file</c> arguments relative to the working directory:
/// gcc/clang's (quoted, recursive) and rustc's (one argument per line).</summary>
public static class ResponseFiles
{
    private const int MaxDepth = 16;

    /// <summary>The arguments with every <c>@file</c> replaced by its contents;
    /// throws <see cref="ResponseFileException"/> when one cannot be read.</summary>
    public static List<string> Expand(IEnumerable<string> args, string workingDirectory, int depth = 0)
    {
        if (depth > MaxDepth) throw new ResponseFileException("response files nest too deeply");
        var result = new List<string>();
        foreach (string arg in args)
        {
            if (arg.Length < 2 || arg[0] != '@') { result.Add(arg); continue; }
            string path = Path.GetFullPath(arg[1..], workingDirectory);
            if (!File.Exists(path)) throw new ResponseFileException($"response file '{arg[1..]}' does not exist");
            List<string> inner;
            try { inner = CommandLineText.Split(File.ReadAllText(path)); }
            catch (FormatException e) { throw new ResponseFileException($"response file '{arg[1..]}': {e.Message}"); }
            result.AddRange(Expand(inner, workingDirectory, depth + 1));
        }
        return result;
    }

    /// <summary>rustc's form: each line of the file is one argument, no quoting, no nesting.</summary>
    public static List<string> ExpandLines(IEnumerable<string> args, string workingDirectory)
    {
        var result = new List<string>();
        foreach (string arg in args)
        {
            if (arg.Length < 2 || arg[0] != '@') { result.Add(arg); continue; }
            string path = Path.GetFullPath(arg[1..], workingDirectory);
            if (!File.Exists(path)) throw new ResponseFileException($"response file '{arg[1..]}' does not exist");
            result.AddRange(File.ReadAllText(path).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0));
        }
        return result;
    }
}

public sealed class ResponseFileException(string message) : Exception(message);
