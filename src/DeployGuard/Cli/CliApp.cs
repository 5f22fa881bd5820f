using System.CommandLine;
using DeployGuard.Configuration;
using DeployGuard.Git;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;

namespace DeployGuard.Cli;

/// <summary>The <c>deployguard</c> command line (SPEC §7).</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var root = new RootCommand("DeployGuard: deploy by pull request, with approvals and safety checks verified before anything runs.");
        root.Subcommands.Add(BuildCheck(output, error));
        root.Subcommands.Add(BuildPlan(output, error));
        root.Subcommands.Add(BuildRun(output, error));
        root.Subcommands.Add(BuildHistory(output, error));
        root.Subcommands.Add(BuildStatus(output, error));
        root.Subcommands.Add(BuildReset(output, error));
        root.Subcommands.Add(BuildDemo(output, error));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync($"deployguard: {parseError.Message}");
            }

            await error.WriteLineAsync("Run 'deployguard --help' for usage.");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Refused;
        }
    }

    private static Command BuildCheck(TextWriter output, TextWriter error)
    {
        var repo = new Option<string>("--repo") { Description = "The deploy repository (or plain folder) to check", DefaultValueFactory = _ => "." };
        var @base = new Option<string?>("--base") { Description = "Check the changes since this commit or branch (the PR's target)" };
        var head = new Option<string?>("--head") { Description = "The commit holding the change (default HEAD); needs --base" };
        var rootFolder = new Option<string>("--root") { Description = "Folder inside the repository that holds the environment folders", DefaultValueFactory = _ => "." };
        var format = new Option<string>("--format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("check", "Validate deploy files and the policy, for a change (--base/--head) or a whole folder") { repo, @base, head, rootFolder, format };
        command.SetAction((parse, ct) => CheckCommand.RunAsync(
            new CheckArguments(parse.GetValue(repo)!, parse.GetValue(@base), parse.GetValue(head), parse.GetValue(rootFolder)!, parse.GetValue(format) == "json"),
            output, error, ct));
        return command;
    }

    private static Command BuildPlan(TextWriter output, TextWriter error)
    {
        var command = new Command("plan", "Show what the pending commits of the configured deploy repository would do; triggers nothing")
        {
            // Configuration switches (--DeployGuard:Repository:Url=...) pass through to .NET configuration.
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, ct) => WithServicesAsync(parse.UnmatchedTokens, error, LogEventLevel.Warning,
            host => PlanCommand.RunAsync(host.Services, output, error, ct)));
        return command;
    }

    private static Command BuildRun(TextWriter output, TextWriter error)
    {
        var once = new Option<bool>("--once") { Description = "Process what is pending, follow it to an outcome, and exit" };
        var command = new Command("run", "The controller: watch the deploy repository, check, trigger, record") { once, };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) =>
        {
            var runOnce = parse.GetValue(once);
            return WithServicesAsync(parse.UnmatchedTokens, error, LogEventLevel.Information,
                host => runOnce ? RunCommand.RunOnceAsync(host, output, ct) : RunCommand.RunServiceAsync(host, ct),
                services => services.AddHostedService<Controller.DeployWorker>());
        });
        return command;
    }

    private static Command BuildHistory(TextWriter output, TextWriter error)
    {
        var filter = new Argument<string?>("ENV[/APP]") { Description = "Only this environment, or this app in it", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit") { Description = "At most this many entries", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--limit must be at least 1");
            }
        });
        var format = new Option<string>("--format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("history", "The ledger, newest first") { filter, limit, format };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) =>
        {
            // An optional argument swallows the first unmatched token: a configuration switch
            // (--DeployGuard:...) is never a filter, so it goes back among the switches.
            var value = parse.GetValue(filter);
            var switches = parse.UnmatchedTokens.ToList();
            if (value is not null && value.StartsWith('-'))
            {
                switches.Insert(0, value);
                value = null;
            }

            return WithServicesAsync(switches, error, LogEventLevel.Warning,
                host => LedgerCommands.HistoryAsync(host.Services, value, parse.GetValue(limit), parse.GetValue(format) == "json", output, error, ct));
        });
        return command;
    }

    private static Command BuildStatus(TextWriter output, TextWriter error)
    {
        var command = new Command("status", "Per environment and app: desired commit, last deployed commit, latest status");
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => WithServicesAsync(parse.UnmatchedTokens, error, LogEventLevel.Warning,
            host => LedgerCommands.StatusAsync(host.Services, output, ct)));
        return command;
    }

    private static Command BuildReset(TextWriter output, TextWriter error)
    {
        var to = new Option<string>("--to") { Description = "The commit of the watched branch to resume after", Required = true };
        var command = new Command("reset", "Operator's recovery after a divergence: resume processing after COMMIT") { to };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => WithServicesAsync(parse.UnmatchedTokens, error, LogEventLevel.Warning,
            host => LedgerCommands.ResetAsync(host.Services, parse.GetValue(to)!, output, error, ct)));
        return command;
    }

    private static Command BuildDemo(TextWriter output, TextWriter error)
    {
        var manifests = new Option<string?>("--manifests") { Description = "The sample deploy repository to seed from (default: deploy-manifests/ found from here)" };
        var keep = new Option<bool>("--keep") { Description = "Keep the sandbox's repositories afterwards, to explore them with git" };
        var command = new Command("demo", "A self-contained sandbox run of the whole flow: no network, no accounts") { manifests, keep };
        command.SetAction((parse, ct) => new Demo.DemoCommand(output, error).RunAsync(parse.GetValue(manifests), parse.GetValue(keep), ct));
        return command;
    }

    /// <summary>
    /// Composes the Generic Host for commands that need configuration, validates the options
    /// (every failing key at once) and runs <paramref name="action"/> with the services.
    /// </summary>
    internal static async Task<int> WithServicesAsync(
        IReadOnlyList<string> switches, TextWriter error, LogEventLevel level, Func<IHost, Task<int>> action, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddDeployGuardSources(switches);
        builder.Services.AddDeployGuard(builder.Configuration);
        configure?.Invoke(builder.Services);
        var json = string.Equals(builder.Configuration["DeployGuard:Logging:Format"], "json", StringComparison.OrdinalIgnoreCase);
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(Logging.Create(level, json), dispose: true);

        using var host = builder.Build();
        try
        {
            // Every ValidateOnStart registration at once (ours and the GitHub client's), as starting
            // the host would, so one attempt shows every bad key.
            host.Services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException)
        {
            var failures = ex is AggregateException all
                ? all.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)
                : ((OptionsValidationException)ex).Failures;
            await error.WriteLineAsync("deployguard: invalid configuration:");
            foreach (var failure in failures)
            {
                await error.WriteLineAsync($"  {failure}");
            }

            return ExitCodes.Usage;
        }

        try
        {
            return await action(host);
        }
        catch (GitCommandException ex)
        {
            await error.WriteLineAsync($"deployguard: {ex.Message}");
            return ExitCodes.Refused;
        }
    }
}
