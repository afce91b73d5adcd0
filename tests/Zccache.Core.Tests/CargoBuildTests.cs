using Zccache.Core.Cargo;

namespace Zccache.Core.Tests;

/// <summary>A CargoCrate's cargo command line, and what cargo's JSON messages say (lines as cargo 1.95 writes them).</summary>
public class CargoBuildTests
{
    [Fact]
    public void Profiles_are_cargos_own_or_the_manifests()
    {
        Assert.True(CargoBuild.IsKnownProfile("release", ""));
        Assert.True(CargoBuild.IsKnownProfile("dist", "[package]\nname = \"x\"\n\n[profile.dist]\ninherits = \"release\"\n"));
        Assert.False(CargoBuild.IsKnownProfile("fastest", "[profile.release]\nlto = true\n"));
        Assert.False(CargoBuild.IsKnownProfile("debug", ""));
        Assert.Equal(["build", "--manifest-path", "/c/Cargo.toml", "--profile", "dev", "--message-format=json", "--features", "a,b",
            "--target", "x86_64-unknown-linux-gnu", "--locked", "-j", "2"],
            CargoBuild.Arguments("/c/Cargo.toml", "dev", "a; b", " x86_64-unknown-linux-gnu ", "--locked -j 2"));
    }

    [Fact]
    public void Artifacts_are_the_crates_own_libraries_and_diagnostics_have_their_place()
    {
        const string stdout = """
            {"reason":"compiler-artifact","package_id":"registry+https://x#itoa@1.0.1","manifest_path":"/usr/share/cargo/registry/itoa-1.0.1/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"itoa"},"filenames":["/t/release/deps/libitoa-1.rlib"],"fresh":true}
            {"reason":"compiler-artifact","package_id":"path+file:///w/rust#mathrs@0.1.0","manifest_path":"/w/rust/Cargo.toml","target":{"kind":["cdylib","staticlib"],"crate_types":["cdylib","staticlib"],"name":"mathrs"},"filenames":["/t/release/libmathrs.so","/t/release/libmathrs.a"],"fresh":false}
            {"reason":"compiler-message","manifest_path":"/w/rust/Cargo.toml","message":{"rendered":"error[E0425]: cannot find value","level":"error","message":"cannot find value `v` in this scope","code":{"code":"E0425","explanation":"…"},"spans":[{"file_name":"src/lib.rs","line_start":2,"line_end":2,"column_start":47,"column_end":48,"is_primary":true}],"children":[]}}
            {"reason":"compiler-message","manifest_path":"/w/rust/Cargo.toml","message":{"rendered":"error: aborting due to 1 previous error","level":"error","message":"aborting due to 1 previous error","code":null,"spans":[],"children":[]}}
            not json
            {"reason":"build-finished","success":false}
            """;
        var (artifacts, diagnostics) = CargoBuild.Read(stdout, "/w/rust");
        Assert.Equal([new CargoArtifact(CrateLibraryKind.Cdylib, "/t/release/libmathrs.so"),
            new CargoArtifact(CrateLibraryKind.Staticlib, "/t/release/libmathrs.a")], artifacts);
        var d = Assert.Single(diagnostics);
        Assert.Equal((true, "E0425", "/w/rust/src/lib.rs", 2, 47, 48), (d.IsError, d.Code, d.File, d.Line, d.Column, d.EndColumn));
    }
}
