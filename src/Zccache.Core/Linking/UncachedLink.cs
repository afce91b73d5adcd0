using System.Text;
using Zccache.Core.Compilers;
using Zccache.Core.Hashing;
using Zccache.Core.Storage;

namespace Zccache.Core.Linking;

/// <summary>
/// A link the cache does not serve — a static library through <c>ar</c>, anything through link.exe or lld-link (no
/// linker output lists what they read) — run only when something it depends on changed. What made the output is kept
/// beside it as one digest (<c>&lt;output&gt;.zccache-link</c>): the tool as found on PATH and its stamp, the working
/// folder, every argument, the variables the tool reads, every input's path and stamp (taken before the run, so an input
/// edited during it is seen by the next build), and the stamps of the output and its companions (a PDB, an import
/// library). Anything of it changed, or no digest: the tool runs again.
/// </summary>
public sealed class UncachedLink
{
    public required string Tool { get; init; }
    public required IReadOnlyList<string> Arguments { get; init; }
    public required string WorkingDirectory { get; init; }
    public required string Output { get; init; }
    /// <summary>Files the tool may write beside the output (link.exe's <c>.pdb</c>, import <c>.lib</c> and <c>.exp</c>): one
    /// that is deleted or changed afterwards, or appears, means the link runs again.</summary>
    public IReadOnlyList<string> Companions { get; init; } = [];
    /// <summary>The files whose change must redo the link: objects, and libraries as they were found.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }
    /// <summary>Environment variables the tool reads (link.exe: <c>LIB</c>, <c>LINK</c>, <c>_LINK_</c>).</summary>
    public IReadOnlyList<string> Variables { get; init; } = [];
    /// <summary>Why what the tool reads cannot all be known (a response file, a library found elsewhere): then it runs every
    /// time and nothing is recorded.</summary>
    public string? Untracked { get; init; }
    /// <summary>The output is removed before the tool runs (<c>ar</c> adds to an archive that exists).</summary>
    public bool ReplacesOutput { get; init; }

    /// <summary>Where the digest of what made <see cref="Output"/> is kept.</summary>
    public string RecordFile => Output + ".zccache-link";

    /// <summary>Null when the output is up to date (nothing ran); else the tool's run, recorded when it succeeded.</summary>
    public ProcessResult? Run()
    {
        string? tool = CompilerIdentity.Resolve(Tool, WorkingDirectory);
        // An input written within the racy window could be written again with the same stamp: no record (the next build links
        // once more), as a compile's inputs are trusted by stamp only once settled.
        string? made = tool is null || Untracked is not null || !Inputs.All(Settled) ? null : InputsDigest(tool);
        if (made is not null && ReadRecord() == Record(made)) return null;

        AtomicFile.TryDelete(RecordFile);
        if (ReplacesOutput) AtomicFile.TryDelete(Output);
        var run = CompilerProcess.Run(tool ?? Tool, Arguments, WorkingDirectory);
        if (made is not null && run.ExitCode == 0 && run.StartError is null && File.Exists(Output))
            AtomicFile.Write(RecordFile, Encoding.ASCII.GetBytes(Record(made)), ownerOnly: false);
        return run;
    }

    private string? ReadRecord()
    {
        try { return File.ReadAllText(RecordFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The digest of everything that made the output, its own stamp and its companions' last.</summary>
    private string Record(string inputsDigest) => Digest([inputsDigest, Stamp(Output), .. Companions.Select(Stamp)]);

    private string InputsDigest(string tool)
    {
        // Each list with its length: an argument spelled like a section's name cannot shift the sections.
        List<string> parts = ["zccache-link 2", tool, Stamp(tool), WorkingDirectory, $"arguments {Arguments.Count}", .. Arguments,
            $"variables {Variables.Count}"];
        foreach (string name in Variables) parts.AddRange([name, Environment.GetEnvironmentVariable(name) ?? "(unset)"]);
        parts.Add($"inputs {Inputs.Count}");
        foreach (string input in Inputs) parts.AddRange([input, Stamp(input)]);
        return Digest(parts);
    }

    private static string Stamp(string path) => FileStamp.Read(path)?.ToString() ?? "absent";

    private static bool Settled(string path) => FileStamp.Read(path) is not { } stamp || FileHashMemo.IsSettled(stamp);

    private static string Digest(IEnumerable<string> parts)
    {
        using var hash = Sha256.Create();
        foreach (string part in parts)
        {
            hash.Append(Encoding.UTF8.GetBytes(part));
            hash.Append([0]);
        }
        return Convert.ToHexString(hash.Finish());
    }
}
