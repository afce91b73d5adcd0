// zccache: its own commands, or the launcher form `zccache <compiler> [args…]` (Zccache.Core.Commands).
using Zccache.Cli;
using Zccache.Cli.Commands;
using Zccache.Core.Hashing;

Sha256.Implementation = () => new ManagedSha256();
return CommandLine.Run(args, Console.OpenStandardOutput(), Console.OpenStandardError());
