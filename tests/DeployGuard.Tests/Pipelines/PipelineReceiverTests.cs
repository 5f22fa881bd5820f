using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DeployGuard.Sandbox;

namespace DeployGuard.Tests.Pipelines;

public sealed class PipelineReceiverTests
{
    private const string Secret = "receiver-secret";
    private const string Body = """{"environment":"staging","app":"billing","commit":"c1","previous_commit":"","deploy_id":"d-1"}""";

    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Post_RecordsPathHeadersBodyAndValues()
    {
        await using var receiver = await PipelineReceiver.StartAsync(new PipelineReceiverOptions { Secret = Secret });

        using var response = await PostAsync(receiver, "hooks/a", Body, Sign(Body, Secret), key: "d-1", delivery: "del-1");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var delivery = receiver.Deliveries.ShouldHaveSingleItem();
        delivery.Path.ShouldBe("/hooks/a");
        delivery.Body.ShouldBe(Body);
        delivery.Values["app"].ShouldBe("billing");
        delivery.Values["previous_commit"].ShouldBe("");
        delivery.IdempotencyKey.ShouldBe("d-1");
        delivery.DeliveryId.ShouldBe("del-1");
        delivery.DeployId.ShouldBe("d-1");
        delivery.SignatureValid.ShouldBeTrue();
        delivery.StatusCode.ShouldBe(200);
    }

    [Theory]
    [InlineData("sha256=00")]
    [InlineData("sha256=not-hex")]
    [InlineData("sha1=abc")]
    [InlineData(null)]
    public async Task Post_BadOrMissingSignature_IsRecordedAsInvalid(string? signature)
    {
        await using var receiver = await PipelineReceiver.StartAsync(new PipelineReceiverOptions { Secret = Secret });

        using var response = await PostAsync(receiver, "hook", Body, signature);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        receiver.Deliveries.ShouldHaveSingleItem().SignatureValid.ShouldBeFalse();
    }

    [Fact]
    public async Task Post_SignedWithAnotherSecretOrBodyChanged_IsInvalid()
    {
        await using var receiver = await PipelineReceiver.StartAsync(new PipelineReceiverOptions { Secret = Secret });

        using var other = await PostAsync(receiver, "hook", Body, Sign(Body, "other"));
        using var tampered = await PostAsync(receiver, "hook", Body.Replace("staging", "production", StringComparison.Ordinal), Sign(Body, Secret));

        receiver.Deliveries.ShouldAllBe(d => !d.SignatureValid);
    }

    [Fact]
    public async Task Post_RequireValidSignature_Answers401()
    {
        await using var receiver = await PipelineReceiver.StartAsync(new PipelineReceiverOptions { Secret = Secret, RequireValidSignature = true });

        using var bad = await PostAsync(receiver, "hook", Body, Sign(Body, "other"));
        using var good = await PostAsync(receiver, "hook", Body, Sign(Body, Secret));

        bad.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        good.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task FailNext_AnswersTheFaultsInOrderThenRecovers()
    {
        await using var receiver = await PipelineReceiver.StartAsync();
        receiver.FailNext(2, 503, retryAfter: "3");
        receiver.FailNext(1, 429);

        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 4; i++)
        {
            using var response = await PostAsync(receiver, "hook", Body);
            statuses.Add(response.StatusCode);
            retryAfter ??= response.Headers.RetryAfter?.ToString();
        }

        statuses.ShouldBe([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.TooManyRequests, HttpStatusCode.OK]);
        retryAfter.ShouldBe("3");
        receiver.Deliveries.Select(d => d.StatusCode).ShouldBe([503, 503, 429, 200]);
    }

    [Fact]
    public async Task FailNext_WithDelay_AnswersLate()
    {
        await using var receiver = await PipelineReceiver.StartAsync();
        receiver.FailNext(1, 500, delay: TimeSpan.FromMilliseconds(400));

        var watch = Stopwatch.StartNew();
        using var response = await PostAsync(receiver, "hook", Body);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        watch.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(350));
    }

    [Fact]
    public async Task SetStatus_FailsThatPathForGood_OthersStillSucceed()
    {
        await using var receiver = await PipelineReceiver.StartAsync();
        receiver.SetStatus("/broken", 500);

        using var first = await PostAsync(receiver, "broken", Body);
        using var second = await PostAsync(receiver, "broken", Body);
        using var other = await PostAsync(receiver, "fine", Body);

        first.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        second.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        other.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DeduplicateOnIdempotencyKey_ARepeatedKeyIsAnsweredAsAReplay()
    {
        await using var receiver = await PipelineReceiver.StartAsync(new PipelineReceiverOptions { DeduplicateOnIdempotencyKey = true });
        receiver.FailNext(1, 500);

        using var failed = await PostAsync(receiver, "hook", Body, key: "d-1");
        using var accepted = await PostAsync(receiver, "hook", Body, key: "d-1");
        using var replay = await PostAsync(receiver, "hook", Body, key: "d-1");

        failed.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        accepted.Headers.Contains(PipelineReceiver.ReplayHeader).ShouldBeFalse("a failed delivery was not processed");
        replay.StatusCode.ShouldBe(HttpStatusCode.OK);
        replay.Headers.GetValues(PipelineReceiver.ReplayHeader).ShouldBe(["true"]);
        receiver.Deliveries.Select(d => d.Replayed).ShouldBe([false, false, true]);
        receiver.DistinctDeployIds.ShouldBe(1);
    }

    [Fact]
    public async Task DistinctDeployIds_CountsDifferentDeploys()
    {
        await using var receiver = await PipelineReceiver.StartAsync();

        using var a = await PostAsync(receiver, "hook", Body, key: "d-1");
        using var b = await PostAsync(receiver, "hook", Body.Replace("d-1", "d-2", StringComparison.Ordinal), key: "d-2");
        using var c = await PostAsync(receiver, "hook", Body, key: "d-1");

        receiver.DistinctDeployIds.ShouldBe(2);
    }

    [Fact]
    public async Task Get_IsRefused()
    {
        await using var receiver = await PipelineReceiver.StartAsync();

        using var response = await Http.GetAsync(receiver.UrlFor("hook"));

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        receiver.Deliveries.ShouldBeEmpty();
    }

    [Fact]
    public async Task Post_ConcurrentDeliveries_AreAllRecorded()
    {
        await using var receiver = await PipelineReceiver.StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => PostAsync(receiver, "hook", Body, key: $"d-{i}")));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        receiver.Deliveries.Count.ShouldBe(40);
        receiver.Deliveries.Select(d => d.IdempotencyKey).Distinct().Count().ShouldBe(40);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public void VerifySignature_MatchesTheDocumentedRecipe()
    {
        var body = Encoding.UTF8.GetBytes(Body);
        var header = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));

        PipelineReceiver.VerifySignature(body, header, Encoding.UTF8.GetBytes(Secret)).ShouldBeTrue();
        PipelineReceiver.VerifySignature(body, header.ToUpperInvariant().Replace("SHA256=", "sha256=", StringComparison.Ordinal), Encoding.UTF8.GetBytes(Secret))
            .ShouldBeTrue("hex is case-insensitive");
        PipelineReceiver.VerifySignature(body, header, Encoding.UTF8.GetBytes("other")).ShouldBeFalse();
    }

    private static string Sign(string body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private static async Task<HttpResponseMessage> PostAsync(PipelineReceiver receiver, string path, string body, string? signature = null, string? key = null, string? delivery = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, receiver.UrlFor(path))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-DeployGuard-Signature-256", signature);
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        if (delivery is not null)
        {
            request.Headers.TryAddWithoutValidation("X-DeployGuard-Delivery", delivery);
        }

        return await Http.SendAsync(request);
    }
}
