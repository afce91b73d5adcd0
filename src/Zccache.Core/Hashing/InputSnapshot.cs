using System.Collections.Concurrent;

namespace Zccache.Core.Hashing;

/// <summary>
/// The inputs as one batch of compiles sees them. A project's compiles share most headers; the
/// batch looks at each file (one statx, a hash when its stamp is new) and each include folder
/// once, instead of once per compile. Only for a batch whose inputs do not change while it runs,
/// which is true of one MSBuild task execution; a snapshot-less cache looks every time.
/// </summary>
public sealed class InputSnapshot(FileHashMemo memo, DirectoryListingMemo listings)
{
    private readonly ConcurrentDictionary<string, FileFacts?> _files = new(Paths.NormalizedPath.Comparer);
    private readonly DirectoryListingMemo.Scope _listing = listings.Begin();

    private readonly ConcurrentDictionary<string, FileStamp?> _stamps = new(Paths.NormalizedPath.Comparer);

    public FileFacts? Get(string path) => _files.GetOrAdd(path, memo.Get);

    /// <summary>True when the file still has <paramref name="recorded"/>, a stamp trusted
    /// when its digest was taken: the digest holds without reading the file.</summary>
    public bool StillHas(string path, FileStamp recorded) =>
        _stamps.GetOrAdd(path, FileStamp.Read) is { } now && now == recorded && FileHashMemo.IsSettled(now);

    private readonly ConcurrentDictionary<string, string?> _answers = new(StringComparer.Ordinal);

    /// <summary>
    /// The answer to <paramref name="question"/>, a text naming everything besides the batch's inputs that decides it
    /// (a compiler's identity): asked once for the batch, unless <paramref name="keep"/> says an answer is not to be shared.
    /// </summary>
    public string? Answer(string question, Func<string?> ask, Func<string?, bool> keep)
    {
        if (_answers.TryGetValue(question, out string? known)) return known;
        string? answer = ask();
        if (keep(answer)) _answers[question] = answer;
        return answer;
    }

    public bool Exists(string directory, string name) => _listing.Exists(directory, name);

    /// <inheritdoc cref="DirectoryListingMemo.Scope.HasEntry"/>
    public bool? HasEntry(string directory, string name) => _listing.HasEntry(directory, name);
}
