namespace Zccache.Core.Hashing;

/// <summary>
/// What a memo keeps for a path: a value worked out from the file or folder, and the stamp it had then; valid while the
/// stamp holds. A class, as <see cref="FileStamp"/> and <see cref="FileFacts"/> are: the memos are then dictionaries of
/// references, whose code the framework's ReadyToRun images already hold. Over structs, each was a generic instantiation
/// that every new build process JIT-compiled again (about 60 methods before its first up-to-date check).
/// </summary>
public sealed record Stamped<T>(FileStamp Stamp, T Value);
