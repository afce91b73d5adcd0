using System.IO.Compression;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// <c>&lt;CargoCrate&gt;</c>: a Rust cdylib built by cargo inside the build's session, copied to the output, called from C#
/// through P/Invoke by a project that references the library project, and packed under runtimes/&lt;rid&gt;/native/.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class CargoCrateTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "cargo-crate");

    public void Dispose() => _ws.Dispose();

    /// <summary>A cdylib crate using Debian's itoa (built offline from /usr/share/cargo/registry), in a class library.</summary>
    private void Interop(string items)
    {
        _ws.DebianCrates("interop/rust");
        _ws.Write("interop/rust/Cargo.toml", """
            [package]
            name = "mathrs"
            version = "0.1.0"
            edition = "2021"
            [lib]
            crate-type = ["cdylib"]
            [dependencies]
            itoa = "1"
            """);
        _ws.Write("interop/rust/src/lib.rs", """
            #[no_mangle]
            pub extern "C" fn triple(x: i32) -> i32 { x * 3 }
            #[no_mangle]
            pub extern "C" fn digits(x: u32) -> usize { itoa::Buffer::new().format(x).len() }
            """);
        _ws.Write("interop/Native.cs", """
            using System.Runtime.InteropServices;
            public static class Native
            {
                [DllImport("mathrs")] public static extern int triple(int x);
                [DllImport("mathrs")] public static extern nuint digits(uint x);
            }
            """);
        _ws.Project("interop/interop.csproj", $"<ItemGroup>{items}</ItemGroup>", "<IsPackable>true</IsPackable>");
    }

    private void App()
    {
        _ws.Write("app/Program.cs", "System.Console.WriteLine($\"triple={Native.triple(14)} digits={Native.digits(12345)}\");\n");
        _ws.Write("app/app.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><NuGetAudit>false</NuGetAudit></PropertyGroup>
              <ItemGroup><ProjectReference Include="../interop/interop.csproj" /></ItemGroup>
            </Project>
            """);
    }

    private string RunApp()
    {
        var run = Dotnet.Run(_ws.Root, [_ws["app/bin/Debug/net10.0/app.dll"]], new());
        Assert.True(run.ExitCode == 0, run.Output);
        return run.Output.Trim();
    }

    [Fact]
    public void A_cdylib_crate_is_built_in_the_session_called_through_a_reference_packed_and_served_after_a_clean()
    {
        Interop("""<CargoCrate Include="rust/Cargo.toml" Profile="release" />""");
        App();
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal("triple=42 digits=5", RunApp());
        byte[] library = File.ReadAllBytes(_ws["interop/bin/Debug/net10.0/libmathrs.so"]);
        Assert.Equal(library, File.ReadAllBytes(_ws["app/bin/Debug/net10.0/libmathrs.so"]));
        Assert.True(File.Exists(_ws["interop/obj/Debug/net10.0/cargo/release/libmathrs.so"])); // cargo's target folder is under obj/
        // Through the launcher: itoa's compile and the cdylib crate's compile-and-link (one rustc call), both misses.
        Assert.Equal((0L, 2L, 0L), (cold.Stats!.Hits, cold.Stats.Misses, cold.Stats.NonCacheable));

        var pack = _ws.Run(["pack", "interop/interop.csproj", "-o", _ws["packages"]], new());
        Assert.True(pack.Succeeded, pack.Output);
        using (var nupkg = ZipFile.OpenRead(Directory.GetFiles(_ws["packages"], "interop.*.nupkg").Single()))
            Assert.Contains(nupkg.Entries, e => e.FullName == "runtimes/linux-x64/native/libmathrs.so");

        foreach (string dir in new[] { "interop/obj", "interop/bin", "app/obj", "app/bin" }) _ws.Delete(dir);
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((2L, 0L, 0L), (warm.Stats!.Hits, warm.Stats.Misses, warm.Stats.NonCacheable)); // itoa and the cdylib: hits
        Assert.Equal(library, File.ReadAllBytes(_ws["interop/bin/Debug/net10.0/libmathrs.so"]));
        Assert.Equal("triple=42 digits=5", RunApp());
    }

    [Fact]
    public void Rust_errors_are_on_their_line_and_bad_items_are_ZC_errors()
    {
        Interop("""<CargoCrate Include="rust/Cargo.toml" />""");
        _ws.Write("interop/rust/src/lib.rs", "#[no_mangle]\npub extern \"C\" fn triple(x: i32) -> i32 { x * no_such_value }\n");
        var broken = _ws.Build("interop/interop.csproj");
        Assert.False(broken.Succeeded);
        Assert.Contains($"{_ws["interop/rust/src/lib.rs"]}(2,47,2,60): error E0425: cannot find value `no_such_value` in this scope",
            broken.Output);

        Interop("""<CargoCrate Include="rust/Cargo.toml" Profile="fastest" /><CargoCrate Include="missing/Cargo.toml" />""");
        var bad = _ws.Build("interop/interop.csproj");
        Assert.False(bad.Succeeded);
        Assert.Contains("error ZC2002: CargoCrate 'rust/Cargo.toml': "
            + "Profile 'fastest' is not dev, release, test, bench or a [profile.fastest] of the manifest.", bad.Output);
        Assert.Contains("error ZC3006: CargoCrate 'missing/Cargo.toml': no such file", bad.Output);
    }
}
