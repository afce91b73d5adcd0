@rem zccache, framework-dependent (needs dotnet on PATH).
@dotnet "%~dp0zccache.dll" %*
