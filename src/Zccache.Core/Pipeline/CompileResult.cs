using Zccache.Core.Diagnostics;
using Zccache.Core.Sessions;

namespace Zccache.Core.Pipeline;

/// <summary>What a compile through the cache produced: the compiler's exit
/// code and output (run or replayed) and how it was served.</summary>
public sealed record CompileResult
{
    public required int ExitCode { get; init; }
    public byte[] Stdout { get; init; } = [];
    public byte[] Stderr { get; init; } = [];
    public required CompileOutcome Outcome { get; init; }
    public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = [];
    /// <summary>
    /// For a successful hit or stored miss: the inputs the outputs were made from (this checkout's paths), for an
    /// <see cref="ObjectLedger"/>. Worked out only when asked: a launcher's hit never needs it.
    /// </summary>
    public Lazy<Storage.ManifestResult>? Inputs { get; init; }
}
