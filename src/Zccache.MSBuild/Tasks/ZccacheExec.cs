using Microsoft.Build.Framework;
using Microsoft.Build.Tasks;
using Microsoft.Build.Utilities;
using Zccache.Core.Compilers;
using Zccache.Core.Configuration;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;

namespace Zccache.MSBuild.Tasks;

/// <summary>
/// A drop-in for <c>Exec</c>. A command that is one compiler call (gcc, g++, cc, c++, clang,
/// clang++, emcc, em++, cl, clang-cl or rustc, optionally after <c>NAME=value</c> assignments) is served in
/// process by the cache and counted in the build's session; any other command is handed to
/// MSBuild's own <c>Exec</c> with the same parameters. Output, errors, warnings, ConsoleOutput and
/// ExitCode behave as Exec's.
/// </summary>
public class ZccacheExec : ZccacheTask
{
    // ---- Exec's parameters -------------------------------------------------------------------
    [Required] public string Command { get; set; } = "";
    public string? WorkingDirectory { get; set; }
    public string[]? EnvironmentVariables { get; set; }
    public bool IgnoreExitCode { get; set; }
    public bool IgnoreStandardErrorWarningFormat { get; set; }
    public bool ConsoleToMSBuild { get; set; }
    public string? CustomErrorRegularExpression { get; set; }
    public string? CustomWarningRegularExpression { get; set; }
    public string? StandardOutputImportance { get; set; }
    public string? StandardErrorImportance { get; set; }
    public bool LogStandardErrorAsError { get; set; }
    public bool EchoOff { get; set; }
    public bool YieldDuringToolExecution { get; set; }
    /// <summary>Milliseconds. A command with a timeout goes to Exec, which enforces it.</summary>
    public int Timeout { get; set; } = System.Threading.Timeout.Infinite;
    public string? StdOutEncoding { get; set; }
    public string? StdErrEncoding { get; set; }
    public string? UseUtf8Encoding { get; set; }
    public string? ToolExe { get; set; }
    public string? ToolPath { get; set; }
    public bool UseCommandProcessor { get; set; }
    [Output] public ITaskItem[] Outputs { get; set; } = [];
    [Output] public ITaskItem[] ConsoleOutput { get; private set; } = [];
    [Output] public int ExitCode { get; private set; }

    // ---- zccache's -----------------------------------------------------------------------------
    /// <summary>The session to count in; empty means ZCCACHE_SESSION_ID, which the package sets for the project.</summary>
    public string? SessionId { get; set; }
    /// <summary>The project to count for; empty means ZCCACHE_PROJECT.</summary>
    public string? ProjectFile { get; set; }
    /// <summary>False (or ZCCACHE_DISABLE=1, which ZccacheEnabled=false sets for the project): compilers run plainly.</summary>
    public bool Enabled { get; set; } = true;

    public override bool Execute()
    {
        ShellCommand? command = OperatingSystem.IsWindows() ? null : ShellCommand.TryParse(Command);
        string? program = command?.Words[0] ?? ShellCommand.FirstProgram(Command);
        bool isCompiler = program is not null
            && (GccCommandLine.IsGccFamily(program) || RustcCommandLine.IsRustc(program) || ClCommandLine.IsClFamily(program));
        // What only Exec can do (a timeout, another shell) goes to Exec.
        bool toolOverridden = !string.IsNullOrEmpty(ToolExe) || !string.IsNullOrEmpty(ToolPath) || UseCommandProcessor
            || Timeout != System.Threading.Timeout.Infinite;
        if (!Enabled || !isCompiler || command is null || toolOverridden
            || !TryImportance(StandardOutputImportance, out var stdoutImportance)
            || !TryImportance(StandardErrorImportance, out var stderrImportance) || !Directory.Exists(WorkingDirectoryOrCurrent()))
        {
            bool ok = RunExec();
            // A compiler call inside shell syntax ran, uncached: say so in the session's counts.
            if (Enabled && isCompiler && command is null && !toolOverridden) RecordShellCompile();
            return ok;
        }
        return Serve(command, stdoutImportance, stderrImportance);
    }

    private bool Serve(ShellCommand command, MessageImportance stdoutImportance, MessageImportance stderrImportance)
    {
        if (!EchoOff) Log.LogCommandLine(MessageImportance.High, Command);
        var invocation = new CompileInvocation
        {
            Compiler = command.Words[0],
            Arguments = command.Words.Skip(1).ToList(),
            WorkingDirectory = Path.GetFullPath(WorkingDirectoryOrCurrent()),
            Environment = Environment(command),
        };
        // The command's settings are its environment's, as a launcher's are.
        var settings = Settings(invocation.GetEnvironmentVariable);
        invocation = invocation with { BaseDir = settings.BaseDir(invocation.WorkingDirectory), PrefixCommand = settings.PrefixCommand };
        var (cache, session) = Open(settings);

        if (YieldDuringToolExecution) (BuildEngine as IBuildEngine3)?.Yield();
        CompileResult result;
        try { result = cache.Compile(invocation, session); }
        finally { if (YieldDuringToolExecution) (BuildEngine as IBuildEngine3)?.Reacquire(); }

        foreach (var d in result.Diagnostics) Report(d);
        LogOutcome(result.Outcome.Source is { } source ? Path.GetRelativePath(invocation.WorkingDirectory, source)
            : invocation.Compiler, result.Outcome);
        var output = new Exec
        {
            BuildEngine = BuildEngine,
            Command = Command,
            ConsoleToMSBuild = ConsoleToMSBuild,
            CustomErrorRegularExpression = CustomErrorRegularExpression,
            CustomWarningRegularExpression = CustomWarningRegularExpression,
            IgnoreStandardErrorWarningFormat = IgnoreStandardErrorWarningFormat,
        };
        foreach (string line in Lines(result.Stdout)) output.Line(line, stdoutImportance);
        foreach (string line in Lines(result.Stderr))
        {
            if (LogStandardErrorAsError) output.Log.LogError(line);
            else output.Line(line, stderrImportance);
        }
        ConsoleOutput = output.ConsoleOutput;
        bool outputHadErrors = output.Log.HasLoggedErrors;

        // As ToolTask: errors found in the output fail the task even when the exit code is 0.
        ExitCode = result.ExitCode == 0 && (outputHadErrors || Log.HasLoggedErrors) ? -1 : result.ExitCode;
        if (ExitCode == 0) return true;
        if (IgnoreExitCode)
        {
            // As Exec: the task goes on (errors the output logged still fail the build).
            Log.LogMessage(MessageImportance.Normal, "The command \"{0}\" exited with code {1}.", Command, ExitCode);
            return true;
        }
        Log.LogError(null, "MSB3073", null, null, 0, 0, 0, 0, "The command \"{0}\" exited with code {1}.", Command, ExitCode);
        return false;
    }

    /// <summary>The environment Exec would give the command: this process's,
    /// the task's variables, then the command's own assignments.</summary>
    private Dictionary<string, string> Environment(ShellCommand command)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        foreach (string pair in EnvironmentVariables ?? [])
        {
            int eq = pair.IndexOf('=');
            if (eq > 0) env[pair[..eq]] = pair[(eq + 1)..];
        }
        foreach (var (name, value) in command.Assignments) env[name] = value;
        return env;
    }

    /// <summary>
    /// MSBuild's Exec, used only to log a served compile's output exactly as Exec logs a command's:
    /// custom regexes, the canonical error format, ConsoleOutput, and "Exec" as the sender.
    /// </summary>
    private sealed class Exec : Microsoft.Build.Tasks.Exec
    {
        public void Line(string line, MessageImportance importance) => LogEventsFromTextOutput(line, importance);
    }

    private static IEnumerable<string> Lines(byte[] bytes)
    {
        if (bytes.Length == 0) yield break;
        string text = CompilerProcess.Text(bytes);
        string[] lines = text.Split('\n');
        int count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (int i = 0; i < count; i++) yield return lines[i].TrimEnd('\r');
    }

    private bool RunExec()
    {
        var exec = new Microsoft.Build.Tasks.Exec
        {
            BuildEngine = BuildEngine,
            HostObject = HostObject,
            Command = Command,
            WorkingDirectory = WorkingDirectory,
            EnvironmentVariables = EnvironmentVariables,
            IgnoreExitCode = IgnoreExitCode,
            IgnoreStandardErrorWarningFormat = IgnoreStandardErrorWarningFormat,
            ConsoleToMSBuild = ConsoleToMSBuild,
            CustomErrorRegularExpression = CustomErrorRegularExpression,
            CustomWarningRegularExpression = CustomWarningRegularExpression,
            LogStandardErrorAsError = LogStandardErrorAsError,
            EchoOff = EchoOff,
            YieldDuringToolExecution = YieldDuringToolExecution,
            Timeout = Timeout,
            Outputs = Outputs,
        };
        if (!string.IsNullOrEmpty(StandardOutputImportance)) exec.StandardOutputImportance = StandardOutputImportance;
        if (!string.IsNullOrEmpty(StandardErrorImportance)) exec.StandardErrorImportance = StandardErrorImportance;
        if (!string.IsNullOrEmpty(StdOutEncoding)) exec.StdOutEncoding = StdOutEncoding;
        if (!string.IsNullOrEmpty(StdErrEncoding)) exec.StdErrEncoding = StdErrEncoding;
        if (!string.IsNullOrEmpty(UseUtf8Encoding)) exec.UseUtf8Encoding = UseUtf8Encoding;
        if (!string.IsNullOrEmpty(ToolExe)) exec.ToolExe = ToolExe;
        if (!string.IsNullOrEmpty(ToolPath)) exec.ToolPath = ToolPath;
        if (UseCommandProcessor) exec.UseCommandProcessor = true;
        bool ok = exec.Execute();
        ExitCode = exec.ExitCode;
        ConsoleOutput = exec.ConsoleOutput;
        Outputs = exec.Outputs;
        return ok;
    }

    private void RecordShellCompile()
    {
        var layout = new Core.Storage.CacheLayout(CacheRoot);
        if (!Directory.Exists(layout.Sessions)) return;
        if (JoinSession(Settings(System.Environment.GetEnvironmentVariable), layout) is not { } session) return;
        session.Record(new CompileOutcome
        {
            Kind = OutcomeKind.NonCacheable,
            ExitCode = ExitCode,
            Reason = new NonCacheable(NonCacheableReason.ShellSyntax, "").Code,
        });
    }

    /// <summary>The settings in <paramref name="env"/>, under the SessionId and ProjectFile parameters when given.</summary>
    private ZccacheSettings Settings(Func<string, string?> env) => new ZccacheSettings(env)
        .WithUnlessEmpty(ZccacheSettings.Names.SessionId, SessionId).WithUnlessEmpty(ZccacheSettings.Names.Project, ProjectFile);

    private string WorkingDirectoryOrCurrent() => string.IsNullOrEmpty(WorkingDirectory) ? Directory.GetCurrentDirectory()
        : WorkingDirectory;

    private static bool TryImportance(string? value, out MessageImportance importance)
    {
        importance = MessageImportance.High; // Exec's default for both streams
        return string.IsNullOrEmpty(value) || Enum.TryParse(value, ignoreCase: true, out importance);
    }
}
