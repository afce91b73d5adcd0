namespace Zccache.MSBuild.Tasks.Intercept;

/// <summary>
/// <c>ZccacheExec</c> under the name <c>Exec</c>: with <c>ZccacheInterceptExec=true</c> the
/// package registers it for the project, so every plain <c>&lt;Exec&gt;</c> (the project's and
/// its imports') is a ZccacheExec. Commands that are not one compiler call still go to MSBuild's
/// own Exec with every parameter.
/// </summary>
public sealed class Exec : ZccacheExec;
