namespace Zccache.EndToEnd.Tests;

/// <summary>
/// Attacks through the packed <c>zccache</c> launcher, one process per compile as make, CMake and
/// cargo run it: after each change to what the compiler reads, the launcher's object and depfile
/// are byte for byte those of the compiler called directly.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class AdversarialLauncherTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = Workspace.WithFolder(feed, "adversarial", "src");

    public void Dispose() => _ws.Dispose();

    private (int ExitCode, string Stderr) Exec(string executable, params string[] args)
    {
        var run = _ws.Exec(executable, args);
        return (run.ExitCode, run.Err);
    }

    private void Write(string name, string text)
    {
        string path = _ws.Write("src/" + name, text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        File.SetLastWriteTimeUtc(Path.GetDirectoryName(path)!, DateTime.UtcNow.AddMinutes(-1));
    }

    private int EntryCount()
    {
        string entries = Path.Join(_ws.CacheDir, "v1", "entries");
        return Directory.Exists(entries) ? Directory.EnumerateFiles(entries, "meta", SearchOption.AllDirectories).Count() : 0;
    }

    /// <summary>The compiler directly, then the launcher: same exit code, messages and files.</summary>
    private void Same(string[] command, params string[] outputs)
    {
        foreach (string o in outputs) _ws.Delete("src/" + o);
        var plain = Exec(command[0], command[1..]);
        var expected = outputs.Select(o => File.Exists(_ws["src/" + o]) ? File.ReadAllBytes(_ws["src/" + o]) : null).ToList();
        foreach (string o in outputs) _ws.Delete("src/" + o);
        var cached = Exec(feed.Launcher, command);
        Assert.True(plain.ExitCode == cached.ExitCode, cached.Stderr);
        Assert.Equal(plain.Stderr, cached.Stderr);
        for (int i = 0; i < outputs.Length; i++)
            Assert.Equal(expected[i], File.Exists(_ws["src/" + outputs[i]]) ? File.ReadAllBytes(_ws["src/" + outputs[i]]) : null);
    }

    [Fact]
    public void New_headers_that_would_be_found_first_are_never_served_over()
    {
        // The source's folder, the including header's folder, nested -I folders, a joined -isystem,
        // the working directory for -include, and a __has_include that was false.
        Write("a.c", "#include \"h.h\"\n#include <detail/mid.h>\n#include <x.h>\n#include <s.h>\n"
            + "#if __has_include(<opt.h>)\n#include <opt.h>\n#else\n#define OPT 0\n#endif\nint v = H + LEAF + X + S + CFG + OPT;\n");
        Write("inc/h.h", "#define H 1\n");
        Write("inc/detail/mid.h", "#include \"leaf.h\"\n");
        Write("inc2/leaf.h", "#define LEAF 1\n");
        Write("inc/sub/x.h", "#define X 1\n");
        Write("sys2/s.h", "#define S 1\n");
        Write("inc/cfg.h", "#define CFG 1\n");
        _ws.Write("src/sys1/.keep", "");
        string[] command = ["gcc", "-c", "a.c", "-o", "a.o", "-Iinc", "-Iinc2", "-Iinc/sub", "-isystemsys1", "-isystemsys2", "-include",
            "cfg.h"];
        Same(command, "a.o");
        Same(command, "a.o");
        Assert.Equal(1, EntryCount());

        int entries = 1;
        foreach (var (file, text) in new[]
        {
            ("h.h", "#define H 2\n"), ("inc/detail/leaf.h", "#define LEAF 2\n"), ("inc/x.h", "#define X 2\n"),
            ("sys1/s.h", "#define S 2\n"), ("cfg.h", "#define CFG 2\n"), ("inc/opt.h", "#define OPT 2\n"),
        })
        {
            Write(file, text);
            Same(command, "a.o");
            Assert.True(++entries == EntryCount(), $"{file}: a new header must be a miss");
            Same(command, "a.o"); // and then a hit, still the compiler's output
            Assert.Equal(entries, EntryCount());
        }
    }

    [Fact]
    public void A_user_MMD_depfile_is_the_compilers_and_system_headers_are_still_verified()
    {
        Write("a.c", "#include <v.h>\nint v = V;\n");
        Write("vendor/v.h", "#define V 1\n");
        string[] command = ["gcc", "-c", "a.c", "-o", "a.o", "-isystem", "vendor", "-MMD", "-MP"];
        Same(command, "a.o", "a.d");
        Same(command, "a.o", "a.d");
        Assert.Equal(1, EntryCount());
        Write("vendor/v.h", "#define V 2\n");
        Same(command, "a.o", "a.d");
        Assert.Equal(2, EntryCount());
    }
}
