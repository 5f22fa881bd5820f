using DeployGuard.Git;

namespace DeployGuard.Sandbox;

/// <summary>Where the emulator is reachable; GitHub Enterprise Server serves its API under <c>/api/v3</c> of the web host.</summary>
internal sealed record EmulatorUrls(string Origin, string Prefix)
{
    /// <summary>The API root without a trailing slash, e.g. http://127.0.0.1:41234/api/v3.</summary>
    public string Api => Origin + Prefix;

    /// <summary>The web root for <c>html_url</c>s, e.g. http://127.0.0.1:41234.</summary>
    public string Web => Origin;
}

/// <summary>Everything one emulator instance shares between its middleware and endpoints. Options are copied at start.</summary>
internal sealed class EmulatorServices
{
    private EmulatorUrls? _urls;

    public EmulatorServices(GitHubEmulatorOptions options)
    {
        Time = options.TimeProvider;
        DefaultPageSize = options.DefaultPageSize;
        PathPrefix = options.NormalizedPathPrefix;
        InstallationTokenLifetime = options.InstallationTokenLifetime;
        State = new EmulatorState(Time);
        RateLimits = new RateLimits(Time, options.RateLimit);
        Git = new EmulatorGit(new GitCli());
        Objects = new GitHubObjects(this);
    }

    public TimeProvider Time { get; }

    public int DefaultPageSize { get; }

    public string PathPrefix { get; }

    public TimeSpan InstallationTokenLifetime { get; }

    public EmulatorState State { get; }

    public EmulatorFaults Faults { get; } = new();

    public RequestLog Log { get; } = new();

    public RateLimits RateLimits { get; }

    public EmulatorGit Git { get; }

    public GitHubObjects Objects { get; }

    /// <summary>Known once Kestrel has bound its ephemeral port, before any client can know it.</summary>
    public EmulatorUrls Urls
    {
        get => Volatile.Read(ref _urls) ?? throw new InvalidOperationException("the emulator has not started");
        set => Volatile.Write(ref _urls, value);
    }
}
