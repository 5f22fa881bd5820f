using System.Net;
using DeployGuard.Core.Pipelines;
using DeployGuard.GitHub;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DeployGuard.Pipelines;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the four pipelines of SPEC §5 and the <see cref="PipelineRegistry"/> that picks one by type, with
    /// <see cref="PipelineOptions"/> bound from <c>DeployGuard:Pipelines</c> and validated at start. The caller
    /// registers <see cref="IGitHubClient"/> (github-actions and repository-dispatch need it when first resolved).
    /// </summary>
    public static IServiceCollection AddDeployGuardPipelines(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(PipelineRegistry)))
        {
            // Registered already: a second set of pipelines would make the registry refuse to choose.
            return services;
        }

        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PipelineOptions>, PipelineOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // The attempt timeout is WebhookPipeline's, per attempt; HttpClient's own would count the retries too.
        // Redirects are not followed: a 307 would re-post a signed deploy to wherever it pointed.
        services.AddHttpClient(WebhookPipeline.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.All,
                UseCookies = false,
            });

        services.AddSingleton<IPipeline>(sp => new WebhookPipeline(
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            Logger<WebhookPipeline>(sp),
            sp.GetRequiredService<IOptions<PipelineOptions>>()));
        services.AddSingleton<IPipeline>(sp => new CommandPipeline(
            sp.GetRequiredService<TimeProvider>(),
            Logger<CommandPipeline>(sp),
            sp.GetRequiredService<IOptions<PipelineOptions>>()));
        services.AddSingleton<IPipeline>(sp => new GitHubActionsPipeline(
            sp.GetRequiredService<IGitHubClient>(),
            sp.GetRequiredService<TimeProvider>(),
            Logger<GitHubActionsPipeline>(sp),
            GitHubActionsOptions(sp)));
        services.AddSingleton<IPipeline>(sp => new RepositoryDispatchPipeline(
            sp.GetRequiredService<IGitHubClient>(),
            sp.GetRequiredService<TimeProvider>(),
            Logger<RepositoryDispatchPipeline>(sp),
            GitHubActionsOptions(sp)));
        services.TryAddSingleton<PipelineRegistry>();
        return services;
    }

    private static GitHubActionsPipelineOptions GitHubActionsOptions(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<PipelineOptions>>().Value;
        return new GitHubActionsPipelineOptions
        {
            RunLookupGrace = options.RunLookupGrace,
            RunTimeout = options.RunTimeout,
            MaxDispatchAttempts = options.MaxDispatchAttempts,
        };
    }

    private static ILogger<T> Logger<T>(IServiceProvider sp) => sp.GetService<ILogger<T>>() ?? NullLogger<T>.Instance;
}
