namespace Zccache.Core.Compilers;

/// <summary>Why a compiler call is run without the cache. A closed set: reports and the journal name these.</summary>
public enum NonCacheableReason
{
    /// <summary>No <c>-c</c>: the call links (or does more than compile one source).</summary>
    Linking,
    /// <summary><c>-E</c>, <c>-M</c> or <c>-MM</c>: the call only preprocesses.</summary>
    PreprocessOnly,
    /// <summary>No source file on the command line.</summary>
    NoSource,
    /// <summary>Several sources in one call.</summary>
    MultipleSources,
    /// <summary>The source is standard input (<c>-</c>).</summary>
    StdinSource,
    /// <summary>The source or a header uses <c>__DATE__</c>, <c>__TIME__</c>
    /// or <c>__TIMESTAMP__</c> and SOURCE_DATE_EPOCH is not set.</summary>
    TimeMacros,
    /// <summary>An option whose effect the cache cannot capture (extra outputs, profile data, <c>-MG</c>, …).</summary>
    UnsupportedOption,
    /// <summary>A response file could not be read.</summary>
    BadResponseFile,
    /// <summary>The compiler did not report its dependencies, so a later lookup could not be verified.</summary>
    NoDependencyInfo,
    /// <summary>The input is not a source the compiler compiles (an object or library).</summary>
    NotASource,
    /// <summary>The compiler is not one this cache knows how to parse.</summary>
    UnknownCompiler,
    /// <summary>No rustc crate type given, or a linked crate type for a target whose linker cannot report what it read.</summary>
    CrateType,
    /// <summary>A compile's link failed: it runs again as written, and a failed link is never replayed.</summary>
    LinkFailed,
    /// <summary>An input named on the command line (an <c>--extern</c> crate, a static library) does not exist.</summary>
    MissingInput,
    /// <summary>The command needs a shell (pipes, <c>&amp;&amp;</c>, redirections, variables): run by the shell as written.</summary>
    ShellSyntax,
    /// <summary>A build system's configure-time probe in a throw-away folder
    /// (CMake's <c>try_compile</c>): it can never hit again.</summary>
    ConfigureCheck,
    /// <summary>The command line, response files expanded, is longer than gcc can hand its
    /// subprocesses (see <see cref="CompilerProcess.MaxExpandedCommandLine"/>).</summary>
    CommandLineTooLong,
    /// <summary>cl's <c>/Zi</c> or <c>/ZI</c>: debug information goes to a PDB shared by many compiles (<c>/Z7</c> is cached).</summary>
    ProgramDatabase,
    /// <summary>cl's <c>/Yc</c> or <c>/Yu</c>: a precompiled header is written or read.</summary>
    PrecompiledHeader,
    /// <summary>A source or header reads a file the compiler does not report (<c>.incbin</c>, <c>.include</c>, <c>#embed</c>).</summary>
    HiddenInput,
    /// <summary>An input was written while the compiler ran (mtime or ctime not before its start): what it read is unknown.</summary>
    ChangedWhileCompiling,
    /// <summary>The compiler was not found: nothing ran.</summary>
    CompilerNotFound,
    /// <summary>The compiler was found but could not be started.</summary>
    CompilerNotRunnable,
    /// <summary>The compiler ran without a cache to look in (none is open), or without a reason given.</summary>
    CacheDisabled,
}

/// <summary>A reason with the detail that explains it (the option, the file).</summary>
public sealed record NonCacheable(NonCacheableReason Reason, string Detail)
{
    /// <summary>The reason as written in reports and JSON: snake_case.</summary>
    public string Code => CodeOf(Reason);

    /// <summary>A reason as written in reports and JSON, where there is no detail to go with it.</summary>
    public static string CodeOf(NonCacheableReason reason) => ToSnake(reason.ToString());

    public override string ToString() => string.IsNullOrEmpty(Detail) ? Code : $"{Code} ({Detail})";

    public static string ToSnake(string name)
    {
        // A loop, not LINQ over chars: this runs in every build, where each generic instantiation is JIT-compiled anew.
        var snake = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) snake.Append('_');
            snake.Append(char.ToLowerInvariant(name[i]));
        }
        return snake.ToString();
    }
}
