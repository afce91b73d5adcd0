using System.Globalization;

namespace Zccache.Core.Storage;

/// <summary>
/// How big the cache may grow: <c>ZccacheCacheSize</c> / <c>ZCCACHE_CACHE_SIZE</c> ("20G", "512M",
/// "64K" or bytes; read by <see cref="Configuration.ZccacheSettings"/>), else
/// a tenth of the disk the cache is on, between 1 GiB and 20 GiB. Whatever the
/// budget, the cache keeps to half of the space left to it (the disk's free space plus its own size):
/// a cache that filled the disk would fail every later write (ZC1002) and the build's own outputs.
/// </summary>
public static class CacheBudget
{
    public const long MinDefault = 1L << 30;
    public const long MaxDefault = 20L << 30;

    /// <summary>A size in bytes; throws <see cref="FormatException"/> for a value that is not a size.</summary>
    public static long Parse(string text)
    {
        string t = text.Trim().ToUpperInvariant().TrimEnd('B').TrimEnd('I');
        long unit = t.Length == 0 ? 1 : t[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 };
        string number = unit == 1 ? t : t[..^1];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0
            || double.IsInfinity(value))
            throw new FormatException($"'{text}' is not a cache size (examples: 20G, 512M, 1048576).");
        return (long)Math.Min(value * unit, long.MaxValue / 2);
    }

    public static long Default(string cacheRoot)
    {
        try
        {
            string? existing = cacheRoot;
            while (existing is not null && !Directory.Exists(existing)) existing = Path.GetDirectoryName(existing);
            long disk = new DriveInfo(existing ?? "/").TotalSize;
            return Math.Clamp(disk / 10, MinDefault, MaxDefault);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 5L << 30;
        }
    }

    /// <summary>Half of the space the cache may use: what is free on its disk plus what it holds already.</summary>
    public static long DiskCap(long freeBytes, long cacheBytes) => freeBytes / 2 + cacheBytes / 2;

    /// <summary><see cref="DiskCap(long, long)"/> for the disk the cache is on; no cap when the disk cannot be asked.</summary>
    public static long DiskCap(string cacheRoot, long cacheBytes)
    {
        try { return DiskCap(new DriveInfo(cacheRoot).AvailableFreeSpace, cacheBytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return long.MaxValue; }
    }

    public static string Format(long bytes) =>
        bytes >= 1L << 30 ? (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
        : (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
