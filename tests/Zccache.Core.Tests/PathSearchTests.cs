using Zccache.Core.Compilers;
using Zccache.Core.Hashing;

namespace Zccache.Core.Tests;

/// <summary>
/// PATH searches through the folder-entry memo (a name found absent is known absent while the folder's stamp stands):
/// whatever changes on PATH between calls must be what the next call finds.
/// </summary>
public class PathSearchTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly DirectoryListingMemo _listings = new();

    public void Dispose() => _dir.Dispose();

    private string? Find(string name, string path) =>
        CompilerIdentity.Resolve(name, _dir.Path, path, new InputSnapshot(new FileHashMemo(), _listings));

    private string SettledFolder(string name)
    {
        Directory.CreateDirectory(_dir[name]);
        Directory.SetLastWriteTimeUtc(_dir[name], DateTime.UtcNow.AddMinutes(-1));
        return _dir[name];
    }

    [Fact]
    public void A_program_created_in_an_earlier_folder_is_found_by_the_next_call()
    {
        string first = SettledFolder("first"), second = SettledFolder("second");
        _dir.Write("second/tool", "");
        Directory.SetLastWriteTimeUtc(second, DateTime.UtcNow.AddMinutes(-1));
        string path = first + ":" + second;
        Assert.Equal(Path.Join(second, "tool"), Find("tool", path));
        Assert.Equal(Path.Join(second, "tool"), Find("tool", path)); // "first" holds no "tool": remembered
        _dir.Write("first/tool", "");
        Assert.Equal(Path.Join(first, "tool"), Find("tool", path));
        File.Delete(Path.Join(first, "tool"));
        Assert.Equal(Path.Join(second, "tool"), Find("tool", path));
    }

    [Fact]
    public void A_dangling_link_counts_as_an_entry_and_is_never_skipped_for_a_later_folder()
    {
        // Creating the link's target does not touch the link's folder: the link must never be taken for "nothing here".
        string first = SettledFolder("first"), second = SettledFolder("second");
        _dir.Write("second/tool", "");
        File.CreateSymbolicLink(Path.Join(first, "tool"), _dir["elsewhere/tool"]);
        Directory.SetLastWriteTimeUtc(first, DateTime.UtcNow.AddMinutes(-1));
        Directory.SetLastWriteTimeUtc(second, DateTime.UtcNow.AddMinutes(-1));
        string path = first + ":" + second;
        Assert.True(_listings.Begin().HasEntry(first, "tool"));
        Assert.False(_listings.Begin().HasEntry(first, "other"));
        // .NET's File.Exists takes a dangling link for a file, as the search did before the memo: the first folder's.
        Assert.Equal(Path.Join(first, "tool"), Find("tool", path));
        _dir.Write("elsewhere/tool", "");
        Assert.Equal(Path.Join(first, "tool"), Find("tool", path));
    }
}
