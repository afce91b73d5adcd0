using Microsoft.Build.Framework;
using Zccache.MSBuild.Tasks;

namespace Zccache.MSBuild.Tests;

/// <summary>
/// ZccacheExec in process: a compiler call served by the cache with the environment Exec would give it, anything else
/// handed to MSBuild's Exec; neither changes this process's environment, whether the command passes or fails.
/// </summary>
public sealed class ExecTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeBuildEngine _engine = new();

    public ExecTests()
    {
        // A header in a folder only CPATH names, one only C_INCLUDE_PATH names.
        _dir.Write("inc/h.h", "#define H 1\n");
        _dir.Write("sys/g.h", "#define G 2\n");
        _dir.Write("a.c", "#include \"h.h\"\n#include <g.h>\nint a(void) { return H + G; }\n");
        _dir.Write("bad.c", "int bad(void) { return undeclared; }\n");
    }

    public void Dispose() => _dir.Dispose();

    private ZccacheExec Exec(string command) => new()
    {
        BuildEngine = _engine,
        Command = command,
        WorkingDirectory = _dir.Path,
        EnvironmentVariables = ["C_INCLUDE_PATH=sys"],
        CacheDir = _dir["cache"],
    };

    /// <summary>What the commands are given, none of which this process has.</summary>
    private static IEnumerable<string?> Variables() =>
        new[] { "CPATH", "C_INCLUDE_PATH", "ZT_VAR" }.Select(Environment.GetEnvironmentVariable);

    private List<string> Outcomes() =>
        [.. _engine.Messages.Select(m => m.Message!).Where(m => m.StartsWith("zccache: ", StringComparison.Ordinal))];

    [Fact]
    public void A_compile_is_served_by_the_cache_with_the_tasks_variables_and_its_own_assignments()
    {
        Assert.True(Exec("CPATH=inc gcc -c a.c -o a.o").Execute(), string.Join('\n', _engine.Lines()));
        byte[] cold = File.ReadAllBytes(_dir["a.o"]);
        File.Delete(_dir["a.o"]);
        var warm = Exec("CPATH=inc gcc -c a.c -o a.o");
        Assert.True(warm.Execute(), string.Join('\n', _engine.Lines()));

        Assert.Equal(0, warm.ExitCode);
        Assert.Equal(cold, File.ReadAllBytes(_dir["a.o"]));
        var outcomes = Outcomes();
        Assert.Equal(2, outcomes.Count);
        Assert.StartsWith("zccache: miss (", outcomes[0]);
        Assert.StartsWith("zccache: hit a.c (", outcomes[1]);
        Assert.All(Variables(), Assert.Null);
    }

    [Fact]
    public void A_failing_compile_fails_the_task_with_the_compilers_error_and_leaves_the_environment_as_it_was()
    {
        var exec = Exec("CPATH=inc gcc -c bad.c -o bad.o");
        Assert.False(exec.Execute());
        Assert.Equal(1, exec.ExitCode);
        var error = _engine.Errors.First();
        Assert.Equal(("bad.c", 1), (error.File, error.LineNumber));
        Assert.EndsWith("undeclared (first use in this function)", error.Message); // gcc quotes the name as the locale says
        Assert.Equal("MSB3073", _engine.Errors.Last().Code);
        Assert.All(Variables(), Assert.Null);
    }

    [Fact]
    public void Another_command_goes_to_Exec_which_gives_it_the_variables_and_its_exit_code()
    {
        var exec = Exec("echo \"$C_INCLUDE_PATH $ZT_VAR\"; exit 3");
        exec.EnvironmentVariables = ["C_INCLUDE_PATH=sys", "ZT_VAR=v"];
        exec.ConsoleToMSBuild = true;
        Assert.False(exec.Execute());
        Assert.Equal(3, exec.ExitCode);
        Assert.Equal(["sys v"], exec.ConsoleOutput.Select(i => i.ItemSpec));
        Assert.Equal("MSB3073", Assert.Single(_engine.Errors).Code);
        Assert.Empty(Outcomes());
        Assert.All(Variables(), Assert.Null);
    }

    [Fact]
    public void A_compile_in_shell_syntax_or_with_the_cache_off_runs_plainly()
    {
        Assert.True(Exec("CPATH=inc gcc -c a.c -o a.o && true").Execute());
        var off = Exec("CPATH=inc gcc -c a.c -o a.o");
        off.Enabled = false;
        Assert.True(off.Execute());
        Assert.Empty(Outcomes());
        Assert.False(Directory.Exists(_dir["cache"]));
    }

    [Fact]
    public void IgnoreExitCode_lets_a_failing_compile_pass_with_its_errors_logged()
    {
        var exec = Exec("CPATH=inc gcc -c bad.c -o bad.o");
        exec.IgnoreExitCode = true;
        Assert.True(exec.Execute());
        Assert.Equal(1, exec.ExitCode);
        Assert.DoesNotContain(_engine.Errors, e => e.Code == "MSB3073");
        Assert.Contains(_engine.Messages, m =>
            m.Importance == MessageImportance.Normal && m.Message == "The command \"CPATH=inc gcc -c bad.c -o bad.o\" exited with code 1.");
    }
}
