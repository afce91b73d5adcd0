using System.Collections;
using Microsoft.Build.Framework;

namespace Zccache.MSBuild.Tests;

/// <summary>
/// A build engine for running one task in process: records the task's messages, warnings and errors, holds its
/// registered task objects, and hands it the global properties it is given. Not an ILogger: a test assembly holding
/// one would need MSBuild located before xunit discovers the tests.
/// </summary>
public sealed class FakeBuildEngine(Dictionary<string, string>? globalProperties = null) : IBuildEngine6
{
    /// <summary>Messages, warnings and errors, in the order the task logged them.</summary>
    public List<BuildEventArgs> Events { get; } = [];
    public IEnumerable<BuildMessageEventArgs> Messages => Events.OfType<BuildMessageEventArgs>();
    public IEnumerable<BuildWarningEventArgs> Warnings => Events.OfType<BuildWarningEventArgs>();
    public IEnumerable<BuildErrorEventArgs> Errors => Events.OfType<BuildErrorEventArgs>();
    public Dictionary<object, object> TaskObjects { get; } = [];

    public void LogMessageEvent(BuildMessageEventArgs e) => Events.Add(e);
    public void LogWarningEvent(BuildWarningEventArgs e) => Events.Add(e);
    public void LogErrorEvent(BuildErrorEventArgs e) => Events.Add(e);

    /// <summary>Each event as one line: "error file(line,col) code: text", "warning …", "message: text".</summary>
    public List<string> Lines() => [.. Events.Select(e => e switch
    {
        BuildErrorEventArgs x => $"error {x.File}({x.LineNumber},{x.ColumnNumber}) {x.Code}: {x.Message}",
        BuildWarningEventArgs x => $"warning {x.File}({x.LineNumber},{x.ColumnNumber}) {x.Code}: {x.Message}",
        _ => "message: " + e.Message,
    })];
    public void LogCustomEvent(CustomBuildEventArgs e) { }
    public void LogTelemetry(string eventName, IDictionary<string, string> properties) { }

    public IReadOnlyDictionary<string, string> GetGlobalProperties() => globalProperties ?? [];

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.proj";
    public bool IsRunningMultipleNodes => false;

    public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection) =>
        TaskObjects[key] = obj;
    public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => TaskObjects.GetValueOrDefault(key);
    public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime) =>
        TaskObjects.Remove(key, out object? obj) ? obj : null;

    /// <summary>What a node does when the build is over: disposes the objects registered for it.</summary>
    public void EndBuild()
    {
        foreach (var obj in TaskObjects.Values) (obj as IDisposable)?.Dispose();
        TaskObjects.Clear();
    }

    public void Yield() { }
    public void Reacquire() { }

    // The tasks never build other projects.
    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException();
    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs,
        string toolsVersion) =>
        throw new NotSupportedException();
    public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties,
        IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) =>
        throw new NotSupportedException();
    public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties,
        IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) =>
        throw new NotSupportedException();
}
