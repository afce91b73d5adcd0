// zccache <compiler> [args…]: everything happens in Zccache.Core's Launcher.
using Zccache.Cli;
using Zccache.Core.Hashing;
using Zccache.Core.Pipeline;

Sha256.Implementation = () => new ManagedSha256();
return Launcher.Run(args, Console.OpenStandardOutput(), Console.OpenStandardError());
