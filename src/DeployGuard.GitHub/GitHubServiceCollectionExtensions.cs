using System.Net;
using DeployGuard.GitHub.Auth;
using DeployGuard.GitHub.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DeployGuard.GitHub;

public static class GitHubServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IGitHubClient"/> with options bound from <c>DeployGuard:GitHub</c> (SPEC §7), validated at
    /// start, and the token source they describe: <c>Token</c>, <c>TokenFile</c>, or <c>AppId</c> +
    /// <c>PrivateKeyFile</c> + <c>InstallationId</c>. A missing credential is not a start-up error (a policy may need
    /// no GitHub): every call then fails closed with <see cref="GitHubUnauthorizedException"/>.
    /// </summary>
    public static IServiceCollection AddGitHubClient(this IServiceCollection services, Action<GitHubClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<GitHubClientOptions>()
            .BindConfiguration(GitHubClientOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitHubClientOptions>, GitHubClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GitHubTransport>();
        services.TryAddSingleton<IGitHubTokenSource>(sp => CreateTokenSource(
            sp.GetRequiredService<IOptions<GitHubClientOptions>>().Value,
            sp.GetRequiredService<GitHubTransport>().Http,
            sp.GetRequiredService<TimeProvider>(),
            Logger(sp)));
        services.TryAddSingleton<IGitHubClient>(sp => new GitHubClient(
            sp.GetRequiredService<GitHubTransport>().Http,
            sp.GetRequiredService<IOptions<GitHubClientOptions>>().Value,
            sp.GetRequiredService<IGitHubTokenSource>(),
            sp.GetRequiredService<TimeProvider>(),
            Logger(sp)));
        return services;
    }

    internal static IGitHubTokenSource CreateTokenSource(GitHubClientOptions options, GitHubHttp http, TimeProvider time, ILogger logger)
    {
        if (options.AppId is { } appId && options.InstallationId is { } installationId && options.PrivateKeyFile is { } keyFile)
        {
            return GitHubAppTokenSource.FromKeyFile(http, appId, installationId, keyFile, time, logger);
        }

        if (options.TokenFile is { } file)
        {
            return StaticTokenSource.FromFile(file);
        }

        return options.Token is { } token ? StaticTokenSource.FromToken(token) : new NoTokenSource();
    }

    private static ILogger<GitHubClient> Logger(IServiceProvider sp) =>
        sp.GetService<ILogger<GitHubClient>>() ?? NullLogger<GitHubClient>.Instance;

    /// <summary>No credential configured: fail closed on the first call, naming the keys to set.</summary>
    private sealed class NoTokenSource : IGitHubTokenSource
    {
        public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) =>
            throw new GitHubUnauthorizedException(
                "No GitHub credential is configured: set DeployGuard:GitHub:Token, DeployGuard:GitHub:TokenFile, or DeployGuard:GitHub:AppId + PrivateKeyFile + InstallationId");

        public void Invalidate()
        {
        }
    }
}

/// <summary>The one HttpClient of the GitHub client: pooled connections recycled for DNS changes, redirects ours.</summary>
internal sealed class GitHubTransport : IDisposable
{
    private readonly HttpClient _client;

    public GitHubTransport(IOptions<GitHubClientOptions> options, ILogger<GitHubClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Http = new GitHubHttp(_client, options.Value, logger ?? NullLogger<GitHubClient>.Instance);
    }

    public GitHubHttp Http { get; }

    public void Dispose() => _client.Dispose();
}

/// <summary>Cross-field checks DataAnnotations cannot express; every failure names its key.</summary>
internal sealed class GitHubClientOptionsValidator : IValidateOptions<GitHubClientOptions>
{
    public ValidateOptionsResult Validate(string? name, GitHubClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string p = GitHubClientOptions.Section;
        var failures = new List<string>();
        if (!Uri.TryCreate(options.ApiUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{p}:ApiUrl '{options.ApiUrl}' must be an absolute http(s) URL, e.g. https://api.github.com/ or https://HOST/api/v3/");
        }
        else if (!string.IsNullOrEmpty(api.Query) || !string.IsNullOrEmpty(api.Fragment) || !string.IsNullOrEmpty(api.UserInfo))
        {
            failures.Add($"{p}:ApiUrl must not carry a query, fragment or credentials");
        }

        var app = new object?[] { options.AppId, options.PrivateKeyFile, options.InstallationId };
        var appSet = app.Any(v => v is not null);
        if (appSet && app.Any(v => v is null))
        {
            failures.Add($"{p}:AppId, {p}:PrivateKeyFile and {p}:InstallationId go together: set all three to authenticate as a GitHub App");
        }

        var ways = (options.Token is not null ? 1 : 0) + (options.TokenFile is not null ? 1 : 0) + (appSet ? 1 : 0);
        if (ways > 1)
        {
            failures.Add($"{p}: set only one of Token, TokenFile, or AppId + PrivateKeyFile + InstallationId");
        }

        if (options.Token is { } token && (string.IsNullOrWhiteSpace(token) || token.Trim().Any(c => c is < '!' or > '~')))
        {
            failures.Add($"{p}:Token is empty or contains characters a token cannot have");
        }

        if (options.TokenFile is { } file && !File.Exists(file))
        {
            failures.Add($"{p}:TokenFile '{file}' does not exist");
        }

        if (options.PrivateKeyFile is { } key && !File.Exists(key))
        {
            failures.Add($"{p}:PrivateKeyFile '{key}' does not exist");
        }

        if (options.AppId is <= 0 || options.InstallationId is <= 0)
        {
            failures.Add($"{p}:AppId and {p}:InstallationId must be positive numbers");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
