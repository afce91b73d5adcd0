using Zccache.Core.Compilers;

namespace Zccache.Core.Tests;

public class ShellCommandTests
{
    [Fact]
    public void A_simple_command_splits_into_assignments_and_words()
    {
        var c = ShellCommand.TryParse("  CFLAGS='-O2 -g' LANG=C gcc -c \"my file.c\" -o out\\ dir/a.o -DX=\"1\"  ")!;
        Assert.Equal([new("CFLAGS", "-O2 -g"), new("LANG", "C")], c.Assignments);
        Assert.Equal(["gcc", "-c", "my file.c", "-o", "out dir/a.o", "-DX=1"], c.Words);
    }

    [Theory]
    [InlineData("gcc -c a.c | tee log")]
    [InlineData("gcc -c a.c && echo ok")]
    [InlineData("gcc -c a.c; echo ok")]
    [InlineData("gcc -c a.c > log")]
    [InlineData("gcc -c a.c 2>&1")]
    [InlineData("gcc -c $SRC")]
    [InlineData("gcc -c \"$SRC\"")]
    [InlineData("gcc -c `cat list`")]
    [InlineData("gcc -c *.c")]
    [InlineData("gcc -c a.c\ngcc -c b.c")]
    [InlineData("gcc -c 'unterminated")]
    [InlineData("(gcc -c a.c)")]
    [InlineData("gcc -c ~/a.c")]
    [InlineData("X=1")]
    [InlineData("")]
    public void Commands_that_need_a_shell_are_refused(string text) => Assert.Null(ShellCommand.TryParse(text));

    [Theory]
    [InlineData("gcc -c a.c && echo ok", "gcc")]
    [InlineData("CC=1 clang -c a.c | tee x", "clang")]
    [InlineData("cargo build", "cargo")]
    [InlineData("  ", null)]
    public void The_program_a_shell_line_starts_with_is_found(string text, string? program) =>
        Assert.Equal(program, ShellCommand.FirstProgram(text));
}
