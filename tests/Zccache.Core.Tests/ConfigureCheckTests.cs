using Zccache.Core.Compilers;

namespace Zccache.Core.Tests;

/// <summary>CMake's configure-time probes are told apart from a project's own compiles.</summary>
public class ConfigureCheckTests
{
    private static CompileInvocation Call(string cwd, params string[] args) =>
        new() { Compiler = "gcc", Arguments = args, WorkingDirectory = cwd };

    [Theory]
    [InlineData("/b/CMakeFiles/CMakeScratch/TryCompile-Ab12Cd", "-c", "src.c", "-o", "src.c.o",
        "/b/CMakeFiles/CMakeScratch/TryCompile-Ab12Cd")]
    [InlineData("/b", "-c", "/b/CMakeFiles/CMakeScratch/TryCompile-x9/src.c", "-o", "/b/CMakeFiles/CMakeScratch/TryCompile-x9/src.o",
        "/b/CMakeFiles/CMakeScratch/TryCompile-x9")]
    [InlineData("/b/CMakeFiles/CMakeTmp", "-c", "testCCompiler.c", "-o", "a.o", "/b/CMakeFiles/CMakeTmp")]
    [InlineData(@"C:\b\CMakeFiles\CMakeScratch\TryCompile-q1", "/c", "x.c", "/Fo", "x.obj", "C:/b/CMakeFiles/CMakeScratch/TryCompile-q1")]
    public void A_try_compile_folder_is_a_configure_check(string cwd, string a, string b, string c, string d, string expected) =>
        Assert.Equal(expected, ConfigureCheck.Folder(Call(cwd, a, b, c, d)));

    [Theory]
    [InlineData("/b", "-c", "native/a.c", "-o", "CMakeFiles/demo.dir/a.c.o")]
    [InlineData("/src/CMakeScratchpad", "-c", "a.c", "-o", "a.o")]
    [InlineData("/b/CMakeFiles/3.25.1/CompilerIdC", "-c", "a.c", "-o", "a.o")]
    public void An_ordinary_compile_is_not(string cwd, string a, string b, string c, string d) =>
        Assert.Null(ConfigureCheck.Folder(Call(cwd, a, b, c, d)));
}
