using System;
using System.Runtime.InteropServices;

// The native library of this demo, compiled and linked through Zccache.MSBuild, called from C#.
Console.WriteLine($"words in \"the cache serves the link too\": {Native.demo_word_count("the cache serves the link too")}");
Console.WriteLine($"mean of 1, 2, 6: {Native.demo_mean([1, 2, 6], 3)}");

static class Native
{
    [DllImport("demo")] public static extern int demo_word_count(string text);
    [DllImport("demo")] public static extern double demo_mean(double[] values, nuint count);
}
