using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using DeployGuard.GitHub;
using DeployGuard.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeployGuard.Tests.Pipelines;

public sealed class PipelineRegistryTests
{
    [Fact]
    public void For_PicksThePipelineOfTheType()
    {
        var webhook = new StubPipeline(PipelineType.Webhook);
        var command = new StubPipeline(PipelineType.Command);
        var registry = new PipelineRegistry([webhook, command]);

        registry.For(PipelineType.Webhook).ShouldBeSameAs(webhook);
        registry.For(PipelineType.Command).ShouldBeSameAs(command);
        registry.Types.ShouldBe([PipelineType.Webhook, PipelineType.Command], ignoreOrder: true);
    }

    [Fact]
    public void For_UnregisteredType_ThrowsNamingItAndWhatIsRegistered()
    {
        var registry = new PipelineRegistry([new StubPipeline(PipelineType.Command)]);

        var error = Should.Throw<InvalidOperationException>(() => registry.For(PipelineType.GitHubActions));

        error.Message.ShouldBe("no pipeline is registered for GitHubActions (registered: Command); call AddDeployGuardPipelines");
    }

    [Fact]
    public void Constructor_TwoPipelinesOfOneType_Throws()
    {
        var error = Should.Throw<InvalidOperationException>(() =>
            new PipelineRegistry([new StubPipeline(PipelineType.Webhook), new StubPipeline(PipelineType.Webhook)]));

        error.Message.ShouldContain("two pipelines are registered for Webhook");
    }

    [Fact]
    public void AddDeployGuardPipelines_RegistersAllFourKinds()
    {
        using var services = Services([]);

        var registry = services.GetRequiredService<PipelineRegistry>();

        registry.Types.ShouldBe(Enum.GetValues<PipelineType>(), ignoreOrder: true);
        registry.For(PipelineType.Webhook).ShouldBeOfType<WebhookPipeline>();
        registry.For(PipelineType.Command).ShouldBeOfType<CommandPipeline>();
    }

    [Fact]
    public void AddDeployGuardPipelines_CalledTwice_RegistersOnce()
    {
        var services = new ServiceCollection();
        services.AddDeployGuardPipelines();
        var count = services.Count;

        services.AddDeployGuardPipelines();

        services.Count.ShouldBe(count);
    }

    [Fact]
    public void AddDeployGuardPipelines_BindsTheSection()
    {
        using var services = Services(new()
        {
            ["DeployGuard:Pipelines:WebhookMaxAttempts"] = "2",
            ["DeployGuard:Pipelines:WebhookTimeout"] = "00:00:05",
            ["DeployGuard:Pipelines:ScrubEnvironment:0"] = "VAULT_TOKEN",
        });

        var options = services.GetRequiredService<IOptions<PipelineOptions>>().Value;

        options.WebhookMaxAttempts.ShouldBe(2);
        options.WebhookTimeout.ShouldBe(TimeSpan.FromSeconds(5));
        options.ScrubEnvironment.ShouldBe([.. PipelineOptions.DefaultScrubEnvironment, "VAULT_TOKEN"], "configured names add to the defaults");
    }

    [Fact]
    public void AddDeployGuardPipelines_InvalidSection_FailsNamingEveryKey()
    {
        using var services = Services(new()
        {
            ["DeployGuard:Pipelines:WebhookMaxAttempts"] = "0",
            ["DeployGuard:Pipelines:WebhookTimeout"] = "00:00:00",
        });

        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IOptions<PipelineOptions>>().Value);

        error.Failures.ShouldBe(
        [
            "DeployGuard:Pipelines:WebhookTimeout must be between 00:00:01 and 00:10:00 (was 00:00:00)",
            "DeployGuard:Pipelines:WebhookMaxAttempts must be between 1 and 10 (was 0)",
        ]);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["DeployGuard:GitHub:Token"] = "ghp_test" })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddGitHubClient();
        services.AddDeployGuardPipelines();
        return services.BuildServiceProvider();
    }

    private sealed class StubPipeline(PipelineType type) : IPipeline
    {
        public PipelineType Type { get; } = type;

        public Task<PipelineOutcome> TriggerAsync(PipelineRequest request, CancellationToken cancellationToken) =>
            Task.FromResult<PipelineOutcome>(new PipelineOutcome.Succeeded(null));

        public Task<PipelineOutcome> FollowAsync(PipelineRequest request, string run, CancellationToken cancellationToken) =>
            Task.FromResult<PipelineOutcome>(new PipelineOutcome.Succeeded(run));
    }
}

public sealed class PipelineOptionsValidatorTests
{
    private readonly PipelineOptionsValidator _validator = new();

    [Fact]
    public void Defaults_AreValid()
    {
        _validator.Validate(null, new PipelineOptions()).Succeeded.ShouldBeTrue();
    }

    [Theory]
    [InlineData("WebhookMaxAttempts", "DeployGuard:Pipelines:WebhookMaxAttempts must be between 1 and 10 (was 11)")]
    [InlineData("WebhookTimeout", "DeployGuard:Pipelines:WebhookTimeout must be between 00:00:01 and 00:10:00 (was 01:00:00)")]
    [InlineData("WebhookRetryBudget", "DeployGuard:Pipelines:WebhookRetryBudget must be between 00:00:00 and 01:00:00 (was -00:00:01)")]
    [InlineData("WebhookRetryBaseDelay", "DeployGuard:Pipelines:WebhookRetryBaseDelay must be between 00:00:00 and 00:01:00 (was 01:00:00)")]
    [InlineData("RunLookupGrace", "DeployGuard:Pipelines:RunLookupGrace must be between 00:00:00 and 00:10:00 (was 01:00:00)")]
    [InlineData("RunTimeout", "DeployGuard:Pipelines:RunTimeout must be between 00:01:00 and 7.00:00:00 (was 00:00:01)")]
    [InlineData("MaxDispatchAttempts", "DeployGuard:Pipelines:MaxDispatchAttempts must be between 1 and 10 (was 0)")]
    [InlineData("CommandDirectory", "DeployGuard:Pipelines:CommandDirectory '/no/such/dir-4711' does not exist")]
    [InlineData("ScrubEnvironment", "DeployGuard:Pipelines:ScrubEnvironment entry 'A=B' must be a variable name, optionally ending in '*' for a prefix")]
    public void Validate_BadSetting_NamesItsKey(string key, string message)
    {
        var options = new PipelineOptions();
        switch (key)
        {
            case "WebhookMaxAttempts": options.WebhookMaxAttempts = 11; break;
            case "WebhookTimeout": options.WebhookTimeout = TimeSpan.FromHours(1); break;
            case "WebhookRetryBudget": options.WebhookRetryBudget = TimeSpan.FromSeconds(-1); break;
            case "WebhookRetryBaseDelay": options.WebhookRetryBaseDelay = TimeSpan.FromHours(1); break;
            case "RunLookupGrace": options.RunLookupGrace = TimeSpan.FromHours(1); break;
            case "RunTimeout": options.RunTimeout = TimeSpan.FromSeconds(1); break;
            case "MaxDispatchAttempts": options.MaxDispatchAttempts = 0; break;
            case "CommandDirectory": options.CommandDirectory = "/no/such/dir-4711"; break;
            case "ScrubEnvironment": options.ScrubEnvironment.Add("A=B"); break;
        }

        var result = _validator.Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.Failures!.ShouldBe([message]);
    }

    [Fact]
    public void Validate_SeveralBadSettings_ReportsThemAllAtOnce()
    {
        var result = _validator.Validate(null, new PipelineOptions { WebhookMaxAttempts = 0, MaxDispatchAttempts = 99, ScrubEnvironment = ["*"] });

        result.Failures!.Count().ShouldBe(3);
    }
}
