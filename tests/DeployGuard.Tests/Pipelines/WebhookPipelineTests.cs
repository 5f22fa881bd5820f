using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using DeployGuard.Pipelines;
using DeployGuard.Sandbox;
using DeployGuard.Tests.GitHub;
using DeployGuard.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DeployGuard.Tests.Pipelines;

/// <summary>The webhook pipeline against a real receiver on loopback.</summary>
public sealed class WebhookPipelineTests : IAsyncLifetime
{
    private const string SecretEnv = "BILLING_HOOK_SECRET";
    private const string Secret = "whsec-0123456789-abcdef";
    private const string DeployId = "dg-2026-11-21-production-billing-1";

    private static readonly Lazy<ServiceProvider> Services = new(() =>
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddDeployGuardPipelines();
        return services.BuildServiceProvider();
    });

    private readonly CapturingLoggerProvider _logs = new();
    private PipelineReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PipelineReceiver.StartAsync(new PipelineReceiverOptions { Secret = Secret });

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Trigger_PostsTheValuesSignedWithTheSecret_ReceiverVerifiesIt()
    {
        var outcome = await Pipeline().TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        var delivery = _receiver.Deliveries.ShouldHaveSingleItem();
        delivery.Path.ShouldBe("/hooks/billing");
        delivery.Body.ShouldBe(
            "{\"environment\":\"production\",\"app\":\"billing\",\"commit\":\"" + Hashes.Sha1("new") +
            "\",\"previous_commit\":\"" + Hashes.Sha1("old") + "\",\"deploy_id\":\"" + DeployId + "\"}");
        delivery.SignatureValid.ShouldBeTrue();
        delivery.Signature!.ShouldMatch("^sha256=[0-9a-f]{64}$");
        delivery.IdempotencyKey.ShouldBe(DeployId);
        delivery.ContentType.ShouldBe("application/json");
        delivery.UserAgent.ShouldBe("DeployGuard");
        Guid.TryParse(delivery.DeliveryId, out _).ShouldBeTrue();
        delivery.Values["previous_commit"].ShouldBe(Hashes.Sha1("old"));
    }

    [Fact]
    public async Task Trigger_NoPreviousCommit_SendsAnEmptyString()
    {
        await Pipeline().TriggerAsync(Request() with { PreviousCommit = null }, CancellationToken.None);

        _receiver.Deliveries.ShouldHaveSingleItem().Values["previous_commit"].ShouldBe("");
    }

    [Fact]
    public async Task Trigger_SignedWithAnotherSecret_ReceiverRejectsTheSignature()
    {
        var outcome = await Pipeline(secret: "not-the-receivers-secret").TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBeOfType<PipelineOutcome.Succeeded>();
        _receiver.Deliveries.ShouldHaveSingleItem().SignatureValid.ShouldBeFalse();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Trigger_SecretNotSet_FailsAndSendsNothing(string? secret)
    {
        var outcome = await Pipeline(secret: secret).TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Failed("environment variable BILLING_HOOK_SECRET is not set: deliveries are always signed"));
        _receiver.Deliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_500ThenSuccess_SucceedsAfterTwoDeliveriesOfTheSameDeploy()
    {
        _receiver.FailNext(1, 500);

        var outcome = await Pipeline().TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        var deliveries = _receiver.Deliveries;
        deliveries.Select(d => d.StatusCode).ShouldBe([500, 200]);
        deliveries.Select(d => d.IdempotencyKey).ShouldAllBe(k => k == DeployId);
        deliveries.Select(d => d.Body).Distinct().ShouldHaveSingleItem();
        deliveries.Select(d => d.DeliveryId).Distinct().Count().ShouldBe(2, "each attempt has its own delivery id");
        _receiver.DistinctDeployIds.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_Permanent503_FailsAfterMaxAttemptsWithTheStatus()
    {
        _receiver.SetStatus("hooks/billing", 503);

        var outcome = await Pipeline().TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Failed("webhook answered 503 after 4 attempts"));
        _receiver.Deliveries.Count.ShouldBe(4);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(502)]
    public async Task Trigger_TransientStatus_IsRetried(int status)
    {
        _receiver.FailNext(2, status);

        var outcome = await Pipeline().TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        _receiver.Deliveries.Count.ShouldBe(3);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task Trigger_Other4xx_FailsAtOnce(int status)
    {
        _receiver.SetStatus("hooks/billing", status);

        var outcome = await Pipeline().TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason.ShouldBe(
            string.Create(CultureInfo.InvariantCulture, $"webhook answered {status}: {{\"ok\":false,\"status\":{status}}}"));
        _receiver.Deliveries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_4xxWithALongMultiLineBody_QuotesItsFirst200CharactersOnOneLine()
    {
        _receiver.SetStatus("hooks/billing", 400, "line one\r\n\u001b[31mline two\u202e\t" + new string('x', 500));

        var outcome = await Pipeline().TriggerAsync(Request(), CancellationToken.None);

        var reason = outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason;
        reason.ShouldStartWith("webhook answered 400: line one [31mline two xxx");
        reason.Length.ShouldBe("webhook answered 400: ".Length + 200);
        reason.ShouldNotContain("\n");
        reason.ShouldNotContain("\u001b");
    }

    [Fact]
    public async Task Trigger_RedirectAnswer_IsNotFollowed()
    {
        _receiver.SetStatus("hooks/billing", 307);

        var outcome = await Pipeline().TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason.ShouldStartWith("webhook answered 307 (redirects are not followed");
        _receiver.Deliveries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_429WithRetryAfterSeconds_WaitsThatLong()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        _receiver.FailNext(1, 429, retryAfter: "7");

        var outcome = await time.RunAsync(Pipeline(time: time).TriggerAsync(Request(), CancellationToken.None));

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        (time.GetUtcNow() - start).ShouldBe(TimeSpan.FromSeconds(7), "Retry-After wins over the backoff");
        _receiver.Deliveries.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Trigger_503WithRetryAfterDate_WaitsUntilThen()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        _receiver.FailNext(1, 503, retryAfter: start.AddSeconds(20).ToString("r", CultureInfo.InvariantCulture));

        var outcome = await time.RunAsync(Pipeline(time: time).TriggerAsync(Request(), CancellationToken.None));

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        (time.GetUtcNow() - start).ShouldBe(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Trigger_RetryAfterBeyondTheBudget_FailsWithoutWaiting()
    {
        var time = new FakeTimeProvider();
        _receiver.FailNext(1, 429, retryAfter: "3600");

        var outcome = await time.RunAsync(Pipeline(time: time).TriggerAsync(Request(), CancellationToken.None));

        outcome.ShouldBe(new PipelineOutcome.Failed("webhook answered 429 after 1 attempt (Retry-After 1h0m0s is beyond the retry budget of 2m0s)"));
        _receiver.Deliveries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_Backoff_DoublesWithJitterOnTheTimeProvider()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        _receiver.SetStatus("hooks/billing", 500);

        var outcome = await time.RunAsync(
            Pipeline(time: time, configure: o => o.WebhookRetryBaseDelay = TimeSpan.FromSeconds(10)).TriggerAsync(Request(), CancellationToken.None));

        outcome.ShouldBe(new PipelineOutcome.Failed("webhook answered 500 after 4 attempts"));

        // Waits of 10 s, 20 s and 40 s, each between half and all of it.
        (time.GetUtcNow() - start).ShouldBeInRange(TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(70));
    }

    [Fact]
    public async Task Trigger_RetryBudgetSpent_StopsEarly()
    {
        var time = new FakeTimeProvider();
        _receiver.SetStatus("hooks/billing", 500);

        var outcome = await time.RunAsync(Pipeline(time: time, configure: o =>
        {
            o.WebhookRetryBaseDelay = TimeSpan.FromSeconds(40);
            o.WebhookRetryBudget = TimeSpan.FromSeconds(50);
        }).TriggerAsync(Request(), CancellationToken.None));

        // The first wait (20–40 s) fits; the second (40–80 s) would end past 50 s.
        outcome.ShouldBe(new PipelineOutcome.Failed("webhook answered 500 after 2 attempts (retry budget of 50s spent)"));
        _receiver.Deliveries.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Trigger_SlowAnswer_TimesOutAndIsRetried()
    {
        _receiver.FailNext(1, 200, delay: TimeSpan.FromSeconds(10));

        var outcome = await Pipeline(configure: o => o.WebhookTimeout = TimeSpan.FromSeconds(1)).TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        _receiver.Deliveries.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Trigger_NeverAnswers_FailsSayingItTimedOut()
    {
        _receiver.FailNext(2, 200, delay: TimeSpan.FromSeconds(10));

        var outcome = await Pipeline(configure: o =>
        {
            o.WebhookTimeout = TimeSpan.FromMilliseconds(300);
            o.WebhookMaxAttempts = 2;
        }).TriggerAsync(Request(), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Failed("webhook did not answer within 300ms after 2 attempts"));
    }

    [Fact]
    public async Task Trigger_NothingListening_FailsAsUnreachableAfterRetries()
    {
        // Bound but not listening: connections are refused, and no other test can take the port meanwhile.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closed = new Uri($"http://127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}/hooks/billing");

        var outcome = await Pipeline().TriggerAsync(Request(closed), CancellationToken.None);

        var reason = outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason;
        reason.ShouldStartWith("webhook unreachable (ConnectionError");
        reason.ShouldEndWith("after 4 attempts");
    }

    [Fact]
    public async Task Trigger_Cancelled_Throws()
    {
        _receiver.FailNext(1, 200, delay: TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<OperationCanceledException>(() => Pipeline().TriggerAsync(Request(), cancel.Token));
        _receiver.Deliveries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trigger_NeitherTheSecretNorTheUrlsQueryIsLoggedOrInTheReason()
    {
        var url = new Uri(_receiver.UrlFor("hooks/billing"), "?token=query-secret-4711");
        _receiver.FailNext(1, 503);
        _receiver.SetStatus("echo", 400, "bad request to /echo?token=query-secret-4711 signed with " + Secret);

        var retried = await Pipeline().TriggerAsync(Request(url), CancellationToken.None);
        var refused = await Pipeline().TriggerAsync(Request(_receiver.UrlFor("echo?token=query-secret-4711")), CancellationToken.None);
        var unsigned = await Pipeline(secret: null).TriggerAsync(Request(url), CancellationToken.None);

        retried.ShouldBe(new PipelineOutcome.Succeeded(null));
        _logs.AllText.ShouldContain(_receiver.UrlFor("hooks/billing").ToString(), customMessage: "the URL is logged without its query");
        foreach (var text in new[] { _logs.AllText, ((PipelineOutcome.Failed)refused).Reason, ((PipelineOutcome.Failed)unsigned).Reason })
        {
            text.ShouldNotContain(Secret);
            text.ShouldNotContain("query-secret-4711");
        }
    }

    [Fact]
    public async Task Follow_ReportsTheRunAsSucceeded()
    {
        var outcome = await Pipeline().FollowAsync(Request(), "anything", CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded("anything"));
    }

    [Fact]
    public void Body_IsCompactJsonInSpecOrder()
    {
        var body = System.Text.Encoding.UTF8.GetString(WebhookPipeline.Body(Request() with { App = "bill\"ing" }));

        body.ShouldStartWith("{\"environment\":\"production\",\"app\":\"bill\\u0022ing\",\"commit\":");
        body.ShouldNotContain(" ");
    }

    private WebhookPipeline Pipeline(string? secret = Secret, TimeProvider? time = null, Action<PipelineOptions>? configure = null)
    {
        var options = new PipelineOptions { WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(10) };
        configure?.Invoke(options);
        return new WebhookPipeline(
            Services.Value.GetRequiredService<IHttpClientFactory>(),
            time ?? TimeProvider.System,
            _logs.CreateLogger<WebhookPipeline>(),
            Options.Create(options),
            name => name == SecretEnv ? secret : null);
    }

    private PipelineRequest Request(Uri? url = null) => new()
    {
        Environment = "production",
        App = "billing",
        Commit = Hashes.Sha1("new"),
        PreviousCommit = Hashes.Sha1("old"),
        DeployId = DeployId,
        AppRepository = "acme/billing",
        Spec = new PipelineSpec { Type = PipelineType.Webhook, Url = url ?? _receiver.UrlFor("hooks/billing"), SecretEnv = SecretEnv },
        ClaimedAt = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero),
    };
}
