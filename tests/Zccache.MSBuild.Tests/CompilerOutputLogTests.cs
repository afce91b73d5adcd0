using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Zccache.MSBuild.Logging;

namespace Zccache.MSBuild.Tests;

/// <summary>What a compiler printed, as MSBuild shows it: located warnings and errors, tool errors, the rest messages.</summary>
public sealed class CompilerOutputLogTests
{
    private static (int Errors, List<string> Lines, FakeBuildEngine Engine) Write(string text)
    {
        var engine = new FakeBuildEngine();
        int errors = CompilerOutputLog.Write(new TaskLoggingHelper(engine, "ZccacheCompile"), text);
        return (errors, engine.Lines(), engine);
    }

    [Fact]
    public void Gcc_and_clang_diagnostics_get_their_file_line_column_and_flag()
    {
        var (errors, lines, _) = Write("""
            In file included from src/a.c:1:
            src/a.h:3:5: warning: unused variable 'x' [-Wunused-variable]
                3 |   int x;
                  |       ^
            src/a.c:7:1: error: expected ';' before '}' token
            src/a.c:2: fatal error: missing.h: No such file or directory
            /abs/b.c:10:2: note: declared here
            1 warning and 2 errors generated.
            """);
        Assert.Equal(2, errors);
        Assert.Equal([
            "message: In file included from src/a.c:1:",
            "warning src/a.h(3,5) -Wunused-variable: unused variable 'x'",
            "message:     3 |   int x;",
            "message:       |       ^",
            "error src/a.c(7,1) : expected ';' before '}' token",
            "error src/a.c(2,0) : missing.h: No such file or directory",
            "message: /abs/b.c:10:2: note: declared here",
            "message: 1 warning and 2 errors generated.",
        ], lines);
    }

    [Fact]
    public void Cl_and_clang_cl_diagnostics_get_their_file_line_and_code()
    {
        var (errors, lines, _) = Write(
            "C:\\src\\a.cpp(12): error C2065: 'x': undeclared identifier\r\n" +
            "C:\\src\\a.cpp(4) : warning C4996: 'strcpy': This function may be unsafe.\r\n" +
            "a.c(3,10): warning: unused variable 'y' [-Wunused-variable]\r\n" +
            "a.c(5,1): fatal error: 'missing.h' file not found\r\n" +
            "C:\\src\\a.cpp(12): note: see declaration of 'x'\r\n");
        Assert.Equal(2, errors);
        Assert.Equal([
            "error C:\\src\\a.cpp(12,0) C2065: 'x': undeclared identifier",
            "warning C:\\src\\a.cpp(4,0) C4996: 'strcpy': This function may be unsafe.",
            "warning a.c(3,10) -Wunused-variable: unused variable 'y'",
            "error a.c(5,1) : 'missing.h' file not found",
            "message: C:\\src\\a.cpp(12): note: see declaration of 'x'",
        ], lines);
    }

    [Fact]
    public void A_tool_error_is_an_error_against_the_tool_and_a_tool_warning_a_message()
    {
        var (errors, lines, _) = Write("""
            cl : Command line error D8003 : missing source filename
            gcc: fatal error: no input files
            ld: error: undefined symbol: main
            clang: warning: argument unused during compilation: '-c'
            cl : Command line warning D9002 : ignoring unknown option '/foo'
            """);
        Assert.Equal(3, errors);
        Assert.Equal([
            "error cl(0,0) : missing source filename",
            "error gcc(0,0) : no input files",
            "error ld(0,0) : undefined symbol: main",
            "message: clang: warning: argument unused during compilation: '-c'",
            "message: cl : Command line warning D9002 : ignoring unknown option '/foo'",
        ], lines);
    }

    [Theory]
    [InlineData("error: linker command failed with exit code 1 (use -v to see invocation)")]
    [InlineData("collect2: ld returned 1 exit status")]
    [InlineData("a.c:12:3: remark: loop vectorized")]
    [InlineData("a.c: In function 'main':")]
    [InlineData("warning: this line has no location")]
    [InlineData("a.c(12): information: not a diagnostic kind")]
    public void Other_lines_are_messages_at_normal_importance(string line)
    {
        var (errors, lines, engine) = Write(line + "\n\n");
        Assert.Equal(0, errors);
        Assert.Equal(["message: " + line], lines);
        Assert.Equal(MessageImportance.Normal, engine.Messages.Single().Importance);
    }
}
