using Zccache.Core.Compilers;

namespace Zccache.Core.Tests;

public class GccCommandLineTests
{
    private static (CacheableCompile? Compile, NonCacheable? Why) Parse(string cwd, params string[] args) =>
        GccCommandLine.Parse(new CompileInvocation { Compiler = "gcc", Arguments = args, WorkingDirectory = cwd });

    [Theory]
    [InlineData(NonCacheableReason.Linking, "a.c", "-o", "a")]
    [InlineData(NonCacheableReason.PreprocessOnly, "-E", "a.c")]
    [InlineData(NonCacheableReason.PreprocessOnly, "-c", "-M", "a.c")]
    [InlineData(NonCacheableReason.PreprocessOnly, "-c", "-MM", "a.c")]
    [InlineData(NonCacheableReason.NoSource, "-c", "-O2")]
    [InlineData(NonCacheableReason.MultipleSources, "-c", "a.c", "b.c", "-o", "x.o")]
    [InlineData(NonCacheableReason.MultipleSources, "-c", "a.c", "b.c")]
    [InlineData(NonCacheableReason.StdinSource, "-c", "-x", "c", "-", "-o", "x.o")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-save-temps")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-MD", "-MG")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "--coverage")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-fprofile-use=x.gcda")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-Wp,-MD,x.d")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-S")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-o")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-I-")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "--include-barrier")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-I=inc")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-isystem", "$SYSROOT/usr/include")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-D")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-iwithprefix", "inc")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-include-pch", "p.pch")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-frecord-command-line")]
    [InlineData(NonCacheableReason.UnsupportedOption, "-c", "a.c", "-fprofile-instr-use")]
    [InlineData(NonCacheableReason.MissingInput, "-c", "a.c", "-fprofile-instr-use=/nonexistent.profdata")]
    [InlineData(NonCacheableReason.NotASource, "-c", "a.o")]
    [InlineData(NonCacheableReason.BadResponseFile, "-c", "@missing.rsp")]
    public void Non_cacheable_calls_say_why(NonCacheableReason reason, params string[] args)
    {
        var (compile, why) = Parse("/w", args);
        Assert.Null(compile);
        Assert.Equal(reason, why!.Reason);
    }

    [Fact]
    public void Joined_and_long_spellings_are_read_as_the_short_options()
    {
        var (c, why) = Parse("/w", "-c", "a.c", "-iquoteq", "--include-directory=u", "-isystems", "-idirafterz", "-includef.h",
            "--define-macro=X=1");
        Assert.Null(why);
        var search = c!.Context.IncludeSearch;
        Assert.Equal(["/w/q", "/w/u", "/w/s", "/w/z"],
            [search.Quote.Single().Value, search.User.Single().Value, search.System.Single().Value, search.After.Single().Value]);
        Assert.Equal(["f.h"], c.Context.CommandLineIncludes);
        Assert.Equal(["X=1"], c.Context.Defines);
    }

    [Fact]
    public void A_depfile_target_named_by_MT_keeps_the_object_path_out_of_the_key()
    {
        string Depfile(params string[] args) => Parse("/w", args).Compile!.KeyExtras.Single(e => e.Key == "depfile").Value;
        Assert.Equal(Depfile("-c", "a.c", "-o", "b1/a.o", "-MD", "-MT", "a.o", "-MF", "b1/a.d"),
            Depfile("-c", "a.c", "-o", "b2/a.o", "-MD", "-MT", "a.o", "-MF", "b2/a.d"));
        Assert.NotEqual(Depfile("-c", "a.c", "-o", "b1/a.o", "-MD"), Depfile("-c", "a.c", "-o", "b2/a.o", "-MD"));
    }

    [Fact]
    public void Reason_codes_are_snake_case() =>
        Assert.Equal("preprocess_only", new NonCacheable(NonCacheableReason.PreprocessOnly, "").Code);

    [Fact]
    public void Output_defaults_to_the_source_name_in_the_working_directory()
    {
        var (c, _) = Parse("/w", "-c", "src/a.cpp");
        Assert.Equal("/w/a.o", c!.Outputs[0].Path);
        var (d, _) = Parse("/w", "-c", "src/a.cpp", "-oout/x.o");
        Assert.Equal("/w/out/x.o", d!.Outputs[0].Path);
    }

    [Fact]
    public void User_depfile_is_honoured_and_its_naming_enters_the_key()
    {
        var (c, _) = Parse("/w", "-c", "a.c", "-o", "o/a.o", "-MD");
        Assert.Equal("/w/o/a.d", c!.DependencyFile);
        Assert.Equal(["object", "depfile"], c.Outputs.Select(o => o.Name));
        var (d, _) = Parse("/w", "-c", "a.c", "-o", "o/a.o", "-MMD", "-MF", "deps/a.d", "-MT", "tgt");
        // -MMD's list leaves system headers out: the cache takes its own, full one, and delivers the user's file.
        Assert.Null(d!.DependencyFile);
        Assert.NotNull(d.DependencyScan);
        Assert.Equal("/w/deps/a.d", d.Outputs.Single(o => o.Name == "depfile").Path);
        Assert.Contains(d.KeyExtras, e => e.Key == "depfile" && e.Value.Contains("-MT=tgt"));
        var (e, _) = Parse("/w", "-c", "a.c");
        Assert.Null(e!.DependencyFile);
        Assert.Contains(e.KeyExtras, x => x.Key == "depfile" && x.Value == "");
        Assert.Equal(["object"], e.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void Response_files_expand_recursively_with_quotes()
    {
        using var dir = new TempDir();
        dir.Write("inner.rsp", "-DINNER '-DSPACED=a b'");
        dir.Write("args.rsp", "-c \"src/my file.c\" @inner.rsp -Iinc");
        var (c, why) = Parse(dir.Path, "@args.rsp", "-o", "x.o");
        Assert.Null(why);
        Assert.Equal(Path.Join(dir.Path, "src", "my file.c"), c!.Context.SourceFile.Value);
        Assert.Equal(new[] { "INNER", "SPACED=a b" }, c.Context.Defines);
        Assert.Equal(new[] { "-c", "src/my file.c", "-DINNER", "-DSPACED=a b", "-Iinc", "-o", "x.o" }, c.Arguments);
    }

    [Fact]
    public void Value_options_are_not_taken_for_sources()
    {
        var (c, why) = Parse("/w", "-c", "a.c", "-o", "a.o", "-Xlinker", "foo", "-mllvm", "bar", "-target", "x86_64-linux-gnu", "--param",
            "inline-unit-growth=20");
        Assert.Null(why);
        Assert.Equal("/w/a.c", c!.Context.SourceFile.Value);
    }

    [Fact]
    public void Each_option_family_lands_where_it_changes_the_output()
    {
        var (c, why) = Parse("/w", "-c", "-x", "c", "a.txt", "-x", "none", "-imacros", "m.h", "-B", "tools", "-isysroot", "sdk",
            "-iprefix", "pre", "-undef", "-lm", "-Xlinker", "--gc-sections", "-L", "lib", "-Wall", "--weird", "-DA", "-UA", "-DB=1", "-MD",
            "-MQ", "$(OBJ)", "-MP");
        Assert.Null(why);
        var context = c!.Context;
        Assert.Equal(["-xc", "-xnone", "-imacros=/w/m.h", "-B=/w/tools", "-isysroot=/w/sdk", "-iprefix=/w/pre", "-undef", "-Wall"],
            context.Flags);
        Assert.Equal(["--weird"], context.UnknownFlags);
        Assert.Equal(["m.h"], context.CommandLineIncludes);
        Assert.Equal(["A", "B=1"], context.Defines);
        Assert.Equal(["A"], context.Undefines);
        Assert.Equal(["-DA", "-UA", "-DB=1"], context.OrderedMacroOps); // A is defined and undefined: the order matters
        var extras = c.KeyExtras.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("-MQ=$(OBJ)\n-MP\n-MD", extras["depfile"]); // the rule's target is named: not the object
        Assert.Equal("-imacrosm.h", extras["spelled"]);
        Assert.Equal(["object", "depfile"], c.Outputs.Select(o => o.Name));
        Assert.Equal("/w/a.d", c.DependencyFile);
    }

    [Fact]
    public void Macros_defined_once_each_are_keyed_sorted_not_in_order()
    {
        var (c, _) = Parse("/w", "-c", "a.c", "-DZ", "-DA", "-UQ");
        Assert.Equal(["A", "Z"], c!.Context.Defines);
        Assert.Equal(["Q"], c.Context.Undefines);
        Assert.Empty(c.Context.OrderedMacroOps);
    }

    [Fact]
    public void Environment_that_writes_side_outputs_is_unsupported()
    {
        var (_, why) = GccCommandLine.Parse(new CompileInvocation
        {
            Compiler = "gcc", Arguments = ["-c", "a.c"], WorkingDirectory = "/w",
            Environment = new Dictionary<string, string> { ["DEPENDENCIES_OUTPUT"] = "x.d" },
        });
        Assert.Equal(NonCacheableReason.UnsupportedOption, why!.Reason);
    }

    [Theory]
    [InlineData("gcc", true)]
    [InlineData("/usr/bin/g++-12", true)]
    [InlineData("clang++", true)]
    [InlineData("x86_64-linux-gnu-gcc-12", true)]
    [InlineData("emcc", true)]
    [InlineData("cc", true)]
    [InlineData("rustc", false)]
    [InlineData("ld", false)]
    [InlineData("make", false)]
    public void Gcc_family_is_recognised(string compiler, bool expected) => Assert.Equal(expected, GccCommandLine.IsGccFamily(compiler));

    [Fact]
    public void Command_line_text_splits_like_a_shell()
    {
        Assert.Equal(new[] { "-DA=\"x y\"", "b c", "d" }, CommandLineText.Split("-DA='\"x y\"' b\\ c  d"));
        Assert.Throws<FormatException>(() => CommandLineText.Split("'open"));
    }

    [Fact]
    public void Depfiles_are_read_with_continuations_escapes_and_phony_targets()
    {
        string text = "obj/a.o: src/a.c include/my\\ header.h \\\n  /usr/include/stdio.h\n"
            + "\ninclude/my\\ header.h:\n\n/usr/include/stdio.h:\n";
        Assert.Equal(new[] { "src/a.c", "include/my header.h", "/usr/include/stdio.h" }, DepFile.ParsePrerequisites(text));
        Assert.Equal(new[] { "a.c", "b.h" }, DepFile.ParsePrerequisites("x.o y.o: a.c b.h"));
    }
}
