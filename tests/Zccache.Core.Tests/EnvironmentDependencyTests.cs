using Zccache.Core.Compilers;
using Zccache.Core.Pipeline;

namespace Zccache.Core.Tests;

/// <summary>A dependency on an environment variable: recorded from rustc's escaped dep-info value, checked against the call's.</summary>
public class EnvironmentDependencyTests
{
    private static CompileInvocation With(Dictionary<string, string> environment) =>
        new() { Compiler = "rustc", Arguments = [], WorkingDirectory = "/", Environment = environment };

    [Fact]
    public void A_recorded_value_holds_while_the_variable_keeps_it_and_not_once_it_changes_or_goes()
    {
        var recorded = EnvironmentDependency.Recorded("GREETING", "hello\\nworld"); // rustc escapes the newline
        Assert.Equal("env:GREETING", recorded.Path);
        Assert.True(EnvironmentDependency.Is(recorded.Path));
        Assert.False(EnvironmentDependency.Is("/src/env.rs"));

        string Now(Dictionary<string, string> environment) => EnvironmentDependency.CurrentDigest(recorded.Path, With(environment));
        Assert.Equal(recorded.Sha256, Now(new() { ["GREETING"] = "hello\nworld" }));
        Assert.NotEqual(recorded.Sha256, Now(new() { ["GREETING"] = "hello" }));
        Assert.NotEqual(recorded.Sha256, Now([]));
    }

    [Fact]
    public void An_unset_variable_stays_unset_and_is_not_an_empty_one()
    {
        var unset = EnvironmentDependency.Recorded("OPT", null);
        Assert.Equal(unset.Sha256, EnvironmentDependency.CurrentDigest(unset.Path, With([])));
        Assert.NotEqual(unset.Sha256, EnvironmentDependency.CurrentDigest(unset.Path, With(new() { ["OPT"] = "" })));
    }
}
