System.Console.WriteLine("The native objects of this demo were compiled through Zccache.MSBuild.");
