using Zccache.Core.Contexts;

namespace Zccache.Core.Compilers;

/// <summary>A gcc/clang call that compiles one source to one object: what the cache needs to key, run and deliver it.</summary>
public sealed record GccCompile
{
    public required CompileContext Context { get; init; }
    /// <summary>The source as written on the command line: <c>__FILE__</c> expands to this spelling.</summary>
    public required string SourceArgument { get; init; }
    /// <summary>The object file, absolute.</summary>
    public required string OutputPath { get; init; }
    /// <summary>The depfile the user asked for (<c>-MD</c>/<c>-MMD</c>), absolute; null when none.</summary>
    public string? UserDepfile { get; init; }
    /// <summary>The arguments to run, response files expanded.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }
    /// <summary>Options that name the depfile and its targets; they enter the key only when a user depfile is written.</summary>
    public IReadOnlyList<string> DepfileOptions { get; init; } = [];
}
