using System.Collections;

namespace Zccache.Testing;

/// <summary>The test process's environment as a call's variables, with the given ones set.</summary>
public static class TestEnvironment
{
    public static Dictionary<string, string> With(params (string Name, string Value)[] set)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
        foreach (var (name, value) in set) env[name] = value;
        return env;
    }

    /// <summary>The environment with PATH set to <paramref name="path"/>.</summary>
    public static Dictionary<string, string> WithPath(string path) => With(("PATH", path));
}
