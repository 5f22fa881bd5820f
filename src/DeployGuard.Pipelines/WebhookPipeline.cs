using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace DeployGuard.Pipelines;

/// <summary>
/// The <c>webhook</c> pipeline (SPEC §5): one signed JSON POST per delivery. Transient answers (5xx, 408, 429,
/// timeouts, connection errors) are tried again with backoff, honouring <c>Retry-After</c>, within
/// <see cref="PipelineOptions.WebhookMaxAttempts"/> and <see cref="PipelineOptions.WebhookRetryBudget"/>; every
/// attempt carries the same body and <c>Idempotency-Key</c> and its own <c>X-DeployGuard-Delivery</c>. A 2xx is
/// success; the receiver reports no run to follow.
/// </summary>
public sealed class WebhookPipeline : IPipeline
{
    /// <summary>The named <see cref="HttpClient"/> deliveries go through (redirects are not followed).</summary>
    public const string HttpClientName = "deployguard-webhook";

    public const string SignatureHeader = "X-DeployGuard-Signature-256";
    public const string DeliveryHeader = "X-DeployGuard-Delivery";
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Enough of an error page to quote; the rest is not read.</summary>
    private const int MaxResponseBytes = 64 * 1024;

    private static readonly ResiliencePropertyKey<Delivery> DeliveryKey = new("DeployGuard.Webhook.Delivery");
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly IHttpClientFactory _httpClients;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookPipeline> _logger;
    private readonly PipelineOptions _options;
    private readonly Func<string, string?> _environment;
    private readonly ResiliencePipeline<Attempt> _retry;

    /// <param name="environment">Reads the secret named by <c>secret_env</c>; the process environment by default.</param>
    public WebhookPipeline(
        IHttpClientFactory httpClients,
        TimeProvider timeProvider,
        ILogger<WebhookPipeline> logger,
        IOptions<PipelineOptions> options,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClients = httpClients;
        _time = timeProvider;
        _logger = logger;
        _options = options.Value;
        _environment = environment ?? Environment.GetEnvironmentVariable;

        var builder = new ResiliencePipelineBuilder<Attempt> { TimeProvider = timeProvider };
        if (_options.WebhookMaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<Attempt>
            {
                MaxRetryAttempts = _options.WebhookMaxAttempts - 1,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome.Result, args.Context)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.GetValue(DeliveryKey, null!).NextDelay),
                OnRetry = args =>
                {
                    var delivery = args.Context.Properties.GetValue(DeliveryKey, null!);
                    _logger.LogWarning(
                        "Webhook {Url} attempt {Attempt} of {MaxAttempts} for deploy {DeployId} failed: {Failure}; retrying in {RetryDelay}",
                        delivery.SafeUrl,
                        args.AttemptNumber + 1,
                        _options.WebhookMaxAttempts,
                        delivery.DeployId,
                        args.Outcome.Result?.Failure,
                        PipelineText.Duration(args.RetryDelay));
                    return default;
                },
            });
        }

        _retry = builder.Build();
    }

    public PipelineType Type => PipelineType.Webhook;

    public async Task<PipelineOutcome> TriggerAsync(PipelineRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var spec = request.Spec;
        if (spec.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return new PipelineOutcome.Failed("webhook pipeline has no absolute http(s) url");
        }

        if (string.IsNullOrWhiteSpace(spec.SecretEnv))
        {
            return new PipelineOutcome.Failed("webhook pipeline has no secret_env: deliveries are always signed");
        }

        // Read at each delivery, not at start: a rotated secret is picked up without a restart.
        var secret = _environment(spec.SecretEnv);
        if (string.IsNullOrEmpty(secret))
        {
            _logger.LogError("Webhook for deploy {DeployId} not sent: environment variable {SecretEnv} is not set", request.DeployId, spec.SecretEnv);
            return new PipelineOutcome.Failed($"environment variable {spec.SecretEnv} is not set: deliveries are always signed");
        }

        var body = Body(request);
        var delivery = new Delivery(
            url,
            PipelineText.SafeUrl(url),
            request.DeployId,
            body,
            "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)),
            secret,
            _time.GetTimestamp());

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        Attempt last;
        try
        {
            context.Properties.Set(DeliveryKey, delivery);
            last = await _retry.ExecuteAsync(static (ctx, state) => state.Self.AttemptAsync(state.Delivery, ctx.CancellationToken), context, (Self: this, Delivery: delivery));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (last.Succeeded)
        {
            _logger.LogInformation(
                "Webhook {Url} accepted deploy {DeployId} with {StatusCode} after {Attempts} attempt(s)",
                delivery.SafeUrl,
                request.DeployId,
                last.StatusCode,
                delivery.Attempts);
            return new PipelineOutcome.Succeeded(null);
        }

        var reason = last.Transient
            ? $"{last.Failure} after {Attempts(delivery.Attempts)}{(delivery.WhyNotRetried is { } why ? $" ({why})" : "")}"
            : last.Failure;
        _logger.LogWarning("Webhook {Url} failed for deploy {DeployId}: {Reason}", delivery.SafeUrl, request.DeployId, reason);
        return new PipelineOutcome.Failed(reason);
    }

    /// <summary>A webhook reports no run: its 2xx was the result.</summary>
    public Task<PipelineOutcome> FollowAsync(PipelineRequest request, string run, CancellationToken cancellationToken) =>
        Task.FromResult<PipelineOutcome>(new PipelineOutcome.Succeeded(run));

    /// <summary>The exact bytes that are signed and sent: SPEC §5's values in order, compact UTF-8 JSON.</summary>
    internal static byte[] Body(PipelineRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in request.Values)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async ValueTask<Attempt> AttemptAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        delivery.Attempts++;
        using var message = new HttpRequestMessage(HttpMethod.Post, delivery.Url);
        message.Content = new ByteArrayContent(delivery.Body);
        message.Content.Headers.ContentType = Json;
        message.Headers.TryAddWithoutValidation("User-Agent", "DeployGuard");
        message.Headers.TryAddWithoutValidation(SignatureHeader, delivery.Signature);
        message.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, delivery.DeployId);
        message.Headers.TryAddWithoutValidation(DeliveryHeader, Guid.NewGuid().ToString("D"));

        // The attempt's timeout is real time, like the network it bounds; the retry waits are on the TimeProvider.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.WebhookTimeout);
        try
        {
            var http = _httpClients.CreateClient(HttpClientName);
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return Attempt.Success(status);
            }

            var transient = status is >= 500 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests;
            if (transient)
            {
                return Attempt.Retryable($"webhook answered {status}", status, RetryAfter(response));
            }

            var text = PipelineText.Quote(PipelineText.Redact(await ReadCappedAsync(response, timeout.Token), delivery.Url, delivery.Secret));
            var redirect = status is >= 300 and < 400 ? " (redirects are not followed: set url to the final address)" : "";
            return Attempt.Failed(text.Length > 0 ? $"webhook answered {status}{redirect}: {text}" : $"webhook answered {status}{redirect}", status);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Attempt.Retryable($"webhook did not answer within {PipelineText.Duration(_options.WebhookTimeout)}", null, null);
        }
        catch (HttpRequestException ex)
        {
            // Socket errors name host and port at most; redacted anyway, as the message is not ours.
            var detail = ex.InnerException?.Message is { Length: > 0 } inner ? inner : ex.Message;
            return Attempt.Retryable($"webhook unreachable ({ex.HttpRequestError}: {PipelineText.Quote(PipelineText.Redact(detail, delivery.Url, delivery.Secret))})", null, null);
        }
        catch (IOException ex)
        {
            return Attempt.Retryable($"webhook connection failed ({PipelineText.Quote(PipelineText.Redact(ex.Message, delivery.Url, delivery.Secret))})", null, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException)
        {
            // A request HttpClient will not send (an unsupported URL, say): trying again changes nothing.
            return Attempt.Failed($"webhook not sent: {PipelineText.Quote(PipelineText.Redact(ex.Message, delivery.Url, delivery.Secret))}", 0);
        }
    }

    private bool ShouldRetry(Attempt? attempt, ResilienceContext context)
    {
        if (attempt is not { Transient: true } || context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var delivery = context.Properties.GetValue(DeliveryKey, null!);
        if (delivery.Attempts >= _options.WebhookMaxAttempts)
        {
            return false;
        }

        TimeSpan delay;
        if (attempt.RetryAfter is { } asked)
        {
            delay = asked;
        }
        else
        {
            var step = _options.WebhookRetryBaseDelay * Math.Pow(2, Math.Min(delivery.Attempts - 1, 20));
            delay = step * (0.5 + (Random.Shared.NextDouble() * 0.5));
        }

        var elapsed = _time.GetElapsedTime(delivery.StartTimestamp);
        if (elapsed + delay > _options.WebhookRetryBudget)
        {
            delivery.WhyNotRetried = attempt.RetryAfter is not null
                ? $"Retry-After {PipelineText.Duration(delay)} is beyond the retry budget of {PipelineText.Duration(_options.WebhookRetryBudget)}"
                : $"retry budget of {PipelineText.Duration(_options.WebhookRetryBudget)} spent";
            return false;
        }

        delivery.NextDelay = delay;
        return true;
    }

    /// <summary><c>Retry-After</c> in seconds or as an HTTP date; never negative.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static async Task<string> ReadCappedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxResponseBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static string Attempts(int n) => n == 1 ? "1 attempt" : string.Create(CultureInfo.InvariantCulture, $"{n} attempts");

    /// <summary>One delivery: what every attempt sends, and how the attempts went.</summary>
    private sealed class Delivery(Uri url, string safeUrl, string deployId, byte[] body, string signature, string secret, long startTimestamp)
    {
        public Uri Url { get; } = url;

        public string SafeUrl { get; } = safeUrl;

        public string DeployId { get; } = deployId;

        public byte[] Body { get; } = body;

        public string Signature { get; } = signature;

        /// <summary>Only to cut it out of text we quote; never logged.</summary>
        public string Secret { get; } = secret;

        public long StartTimestamp { get; } = startTimestamp;

        public int Attempts { get; set; }

        public TimeSpan NextDelay { get; set; }

        public string? WhyNotRetried { get; set; }
    }

    private sealed record Attempt(bool Succeeded, bool Transient, int? StatusCode, string Failure, TimeSpan? RetryAfter)
    {
        public static Attempt Success(int status) => new(true, false, status, "", null);

        public static Attempt Retryable(string failure, int? status, TimeSpan? retryAfter) => new(false, true, status, failure, retryAfter);

        public static Attempt Failed(string failure, int status) => new(false, false, status, failure, null);
    }
}
