using DeployGuard.GitHub;
using DeployGuard.GitHub.Auth;
using DeployGuard.GitHub.Http;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Support;
using Microsoft.Extensions.Logging;

namespace DeployGuard.Tests.GitHub;

/// <summary>
/// The GitHub of the client tests: the sandbox emulator on loopback over real HTTP, a fake clock shared by both
/// sides, a real git repository behind <c>acme/deploy</c>, and log capture.
/// </summary>
internal sealed class EmulatedGitHub : IAsyncDisposable
{
    public const string Token = "ghp_TestTokenThatMustNeverBeLogged0123456789";
    public const string Repository = "acme/deploy";

    private readonly List<IDisposable> _owned = [];

    private EmulatedGitHub(GitHubEmulator emulator, FakeTimeProvider time, TestRepo repo, string baseSha, string headSha)
    {
        Emulator = emulator;
        Time = time;
        Repo = repo;
        BaseSha = baseSha;
        HeadSha = headSha;
        Http = new HttpClient();
        _owned.Add(Http);
    }

    public GitHubEmulator Emulator { get; }

    public EmulatorState State => Emulator.State;

    public FakeTimeProvider Time { get; }

    public TestRepo Repo { get; }

    /// <summary>main's first commit.</summary>
    public string BaseSha { get; }

    /// <summary>The tip of branch <c>pr</c>, one commit ahead of <see cref="BaseSha"/>.</summary>
    public string HeadSha { get; }

    public HttpClient Http { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    public IReadOnlyList<RecordedRequest> Requests => Emulator.Requests;

    public static async Task<EmulatedGitHub> StartAsync(Action<GitHubEmulatorOptions>? configure = null, FakeTimeProvider? emulatorTime = null)
    {
        var time = new FakeTimeProvider();
        var options = new GitHubEmulatorOptions { TimeProvider = emulatorTime ?? time };
        configure?.Invoke(options);
        var repo = TestRepo.Create();
        var baseSha = repo.CommitFiles("base", ("README.md", "deploy repository\n"));
        repo.Git("checkout", "--quiet", "-b", "pr");
        var headSha = repo.CommitFiles("change", ("production/app.deploy", Hashes.DeployFile(Hashes.Sha1("app-1"))));
        repo.Git("checkout", "--quiet", "main");

        var emulator = await GitHubEmulator.StartAsync(options);
        emulator.State.AddToken(Token);
        emulator.State.AddRepository(Repository, repo.Path);
        return new EmulatedGitHub(emulator, time, repo, baseSha, headSha);
    }

    public GitHubClientOptions Options(Action<GitHubClientOptions>? configure = null)
    {
        var options = new GitHubClientOptions { ApiUrl = Emulator.ApiUrl.AbsoluteUri };
        configure?.Invoke(options);
        return options;
    }

    public GitHubHttp CreateHttp(GitHubClientOptions options) => new(Http, options, Logs.CreateLogger<GitHubClient>());

    /// <summary>A client with a static token (by default the emulator's), jitter fixed at its midpoint.</summary>
    public GitHubClient CreateClient(Action<GitHubClientOptions>? configure = null, IGitHubTokenSource? tokens = null)
    {
        var options = Options(configure);
        return CreateClient(options, tokens ?? StaticTokenSource.FromToken(Token));
    }

    public GitHubClient CreateClient(GitHubClientOptions options, IGitHubTokenSource tokens) =>
        new(CreateHttp(options), options, tokens, Time, Logs.CreateLogger<GitHubClient>(), random: () => 0.5);

    /// <summary>
    /// A client like <see cref="CreateClient(Action{GitHubClientOptions}?, IGitHubTokenSource?)"/> whose HTTP goes
    /// through <paramref name="handler"/> on its way to the emulator: for failures the emulator's faults cannot
    /// make (an answer lost after GitHub acted, a connection never made).
    /// </summary>
    public GitHubClient CreateClientThrough(DelegatingHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false };
        var http = new HttpClient(handler);
        Own(http);
        var options = Options();
        return new GitHubClient(new GitHubHttp(http, options, Logs.CreateLogger<GitHubClient>()), options, StaticTokenSource.FromToken(Token), Time, Logs.CreateLogger<GitHubClient>(), random: () => 0.5);
    }

    /// <summary>An open pull request from <c>pr</c> into <c>main</c>, by carol.</summary>
    public int AddPullRequest(string author = "carol") =>
        State.AddPullRequest(Repository, new PullRequestSeed(author, "pr", HeadSha, "main", BaseSha));

    public void Own(IDisposable disposable) => _owned.Add(disposable);

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Repo.Dispose();
        Logs.Dispose();
    }
}
