// zccache <compiler> [args…]: everything happens in Zccache.Core's Launcher.
using Zccache.Core.Pipeline;

return Launcher.Run(args, Console.OpenStandardOutput(), Console.OpenStandardError());
