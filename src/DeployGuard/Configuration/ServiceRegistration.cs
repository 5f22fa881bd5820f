using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Ledger;
using DeployGuard.Core.Policy;
using DeployGuard.Controller;
using DeployGuard.Pipelines;
using DeployGuard.Git;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Approvals;
using DeployGuard.GitHub.Checks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeployGuard.Configuration;

internal static class ServiceRegistration
{
    /// <summary>The configuration sources of SPEC §7, later ones winning: appsettings.json, environment, command-line switches.</summary>
    public static IConfigurationBuilder AddDeployGuardSources(this IConfigurationBuilder builder, IReadOnlyList<string> switches)
    {
        builder.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true, reloadOnChange: false);

        // DEPLOYGUARD__GITHUB__APIURL maps to DeployGuard:GitHub:ApiUrl: keys are case-insensitive.
        builder.AddEnvironmentVariables();
        builder.AddCommandLine([.. switches]);
        return builder;
    }

    public static IServiceCollection AddDeployGuard(this IServiceCollection services, IConfiguration configuration)
    {
        // The DeployGuard:GitHub section is always bound and validated (a typo shows even before it
        // is used); the client itself is built only when something asks for it. Approvals are
        // checked only when the deploy repository is on GitHub; without it plan says so.
        services.AddGitHubClient();
        if (!string.IsNullOrWhiteSpace(configuration[$"{DeployGuardOptions.Section}:Repository:GitHub"]))
        {
            services.AddSingleton<ApprovalCheck>();
            services.AddSingleton<ReleaseBranchCheck>();
            services.AddSingleton<CommitExistsCheck>();
            services.AddSingleton<ChecksGreenCheck>();
            services.AddSingleton<GitHubChecks>();
        }

        services.AddOptions<DeployGuardOptions>().BindConfiguration(DeployGuardOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeployGuardOptions>, DeployGuardOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new GitCli());
        services.AddSingleton(sp => new DeployLayout(Options(sp).Repository.Root));
        services.AddSingleton(sp =>
        {
            var o = Options(sp);
            return new LocalMirror(sp.GetRequiredService<GitCli>(), o.Repository.Url!, o.Repository.Branch, Path.Combine(o.WorkDir, "mirror.git"));
        });
        services.AddSingleton(sp => new GitDeployRepository(sp.GetRequiredService<LocalMirror>().Directory, sp.GetRequiredService<GitCli>()));
        services.AddSingleton<IDeployRepository>(sp => sp.GetRequiredService<GitDeployRepository>());
        services.AddSingleton(sp =>
        {
            var mirror = sp.GetRequiredService<LocalMirror>();
            return new GitNotesLedger(sp.GetRequiredService<GitCli>(), mirror.Directory, mirror.Url, Options(sp).Ledger.Identity);
        });
        services.AddSingleton<ILedger>(sp => sp.GetRequiredService<GitNotesLedger>());
        services.AddSingleton(sp => new IntentDetector(sp.GetRequiredService<IDeployRepository>(), sp.GetRequiredService<DeployLayout>()));
        services.AddSingleton(sp => new PolicySource(sp.GetRequiredService<IDeployRepository>(), sp.GetRequiredService<DeployLayout>()));
        services.AddSingleton<IntentJudge>();
        services.AddDeployGuardPipelines();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<WakeSignal>();
        return services;
    }

    private static DeployGuardOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<DeployGuardOptions>>().Value;
}
