using BenchmarkDotNet.Running;
using DeployGuard.Benchmarks;

// Usage (see docs/performance.md):
//   dotnet run -c Release --project tests/DeployGuard.Benchmarks -- --filter '*' --job short   quick suite
//   dotnet run -c Release --project tests/DeployGuard.Benchmarks -- --filter '*'               full suite
//   dotnet run -c Release --project tests/DeployGuard.Benchmarks -- --diag [rounds]            phase timings + peak memory
//   dotnet run -c Release --project tests/DeployGuard.Benchmarks -- --generate                 build the cached repositories
switch (args)
{
    case ["--diag", ..]:
        return await ScanDiagnostics.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
    case ["--peak-scan", var mode]:
        return await ScanDiagnostics.PeakScanAsync(mode);
    case ["--generate"]:
        Console.WriteLine(DeployRepoGenerator.Ensure(new DeployRepoSpec(), Console.Out));
        Console.WriteLine(LargeDeployFiles.Ensure(Console.Out).Directory);
        return 0;
    default:
        // Results go beside this project (ignored by git), not into whatever folder the command ran from.
        string[] arguments = args.Contains("--artifacts") ? args : [.. args, "--artifacts", DefaultArtifactsPath()];
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(arguments);
        return 0;
}

static string DefaultArtifactsPath()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "DeployGuard.Benchmarks.csproj")))
        {
            return Path.Combine(directory.FullName, "BenchmarkDotNet.Artifacts");
        }
    }

    return Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts");
}
