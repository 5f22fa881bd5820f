using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DeployGuard.Sandbox;

/// <summary>
/// A webhook receiver on loopback for the demo and the tests: it records every delivery of a <c>webhook</c>
/// pipeline (any path, POST only), checks its signature, can fail on demand, and can de-duplicate on
/// <c>Idempotency-Key</c> the way docs/pipelines.md asks receivers to. Listens on 127.0.0.1 on a free port.
/// </summary>
public sealed class PipelineReceiver : IAsyncDisposable
{
    /// <summary>Set to <c>true</c> on the answer to a delivery whose key was already processed (after Stripe's header).</summary>
    public const string ReplayHeader = "Idempotent-Replayed";

    private readonly Lock _lock = new();
    private readonly List<ReceivedDelivery> _deliveries = [];
    private readonly Queue<Fault> _faults = new();
    private readonly Dictionary<string, PathAnswer> _pathStatus = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processedKeys = new(StringComparer.Ordinal);
    private readonly PipelineReceiverOptions _options;
    private readonly byte[]? _secret;
    private WebApplication? _app;
    private int _disposed;

    private PipelineReceiver(PipelineReceiverOptions options)
    {
        _options = options;
        _secret = string.IsNullOrEmpty(options.Secret) ? null : Encoding.UTF8.GetBytes(options.Secret);
    }

    /// <summary>The base URL, ending in '/'. Every path under it receives deliveries.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>A snapshot of every delivery received, in arrival order, replays and failures included.</summary>
    public IReadOnlyList<ReceivedDelivery> Deliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>How many different deploys were delivered (by <c>deploy_id</c>, else <c>Idempotency-Key</c>).</summary>
    public int DistinctDeployIds
    {
        get
        {
            lock (_lock)
            {
                return _deliveries.Select(d => d.DeployId).Where(id => id is not null).Distinct(StringComparer.Ordinal).Count();
            }
        }
    }

    public static async Task<PipelineReceiver> StartAsync(PipelineReceiverOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PipelineReceiverOptions();
        if (options.MaxBodyBytes < 1)
        {
            throw new ArgumentException($"{nameof(options.MaxBodyBytes)} must be at least 1 (was {options.MaxBodyBytes})", nameof(options));
        }

        var receiver = new PipelineReceiver(options);

        // The empty builder reads no configuration: the host's ASPNETCORE_URLS must not move the receiver.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.Run(receiver.HandleAsync);
        await app.StartAsync(cancellationToken);
        receiver._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Url = new Uri($"http://127.0.0.1:{new Uri(address).Port.ToString(CultureInfo.InvariantCulture)}/");
        return receiver;
    }

    /// <summary>The URL of <paramref name="path"/> on this receiver.</summary>
    public Uri UrlFor(string path) => new(Url, path.TrimStart('/'));

    /// <summary>
    /// The next <paramref name="times"/> deliveries (to any path) are answered <paramref name="status"/>, after
    /// <paramref name="delay"/> when given (longer than the sender's timeout: a timeout), with
    /// <c>Retry-After: <paramref name="retryAfter"/></c> when given. Queued behind earlier faults.
    /// </summary>
    public void FailNext(int times, int status = 500, TimeSpan? delay = null, string? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(times);
        lock (_lock)
        {
            for (var i = 0; i < times; i++)
            {
                _faults.Enqueue(new Fault(status, delay, retryAfter));
            }
        }
    }

    /// <summary>
    /// Every delivery to <paramref name="path"/> is answered <paramref name="status"/> from now on (a permanent
    /// failure), with <paramref name="body"/> as the answer's text when given.
    /// </summary>
    public void SetStatus(string path, int status, string? body = null)
    {
        lock (_lock)
        {
            _pathStatus[Normalize(path)] = new PathAnswer(status, body);
        }
    }

    /// <summary>Forgets deliveries, faults, path statuses and processed keys.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _deliveries.Clear();
            _faults.Clear();
            _pathStatus.Clear();
            _processedKeys.Clear();
        }
    }

    /// <summary>Stops Kestrel; deliveries still waiting on a fault's delay are cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || _app is null)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
    }

    /// <summary>
    /// Whether <paramref name="signatureHeader"/> is <c>sha256=</c> and the hex HMAC-SHA256 of <paramref name="body"/>
    /// keyed with <paramref name="secret"/>, compared in constant time: how a receiver should check a delivery.
    /// </summary>
    public static bool VerifySignature(ReadOnlySpan<byte> body, string? signatureHeader, ReadOnlySpan<byte> secret)
    {
        const string prefix = "sha256=";
        if (signatureHeader is null || !signatureHeader.StartsWith(prefix, StringComparison.Ordinal) || secret.IsEmpty)
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signatureHeader.AsSpan(prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var receivedAt = _options.TimeProvider.GetUtcNow();
        if (!HttpMethods.IsPost(request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            http.Response.Headers.Allow = "POST";
            return;
        }

        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, http.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var signature = Header(request, "X-DeployGuard-Signature-256");
        var key = Header(request, "Idempotency-Key");
        var values = Values(body);
        var signatureValid = _secret is not null && VerifySignature(body, signature, _secret);
        var path = Normalize(request.Path.Value ?? "/");

        // What the answer will be, decided and recorded at once so concurrent deliveries see a consistent state.
        Fault? fault;
        int status;
        string? text = null;
        bool replayed;
        lock (_lock)
        {
            fault = _faults.TryDequeue(out var next) ? next : null;
            replayed = false;
            if (fault is not null)
            {
                status = fault.Status;
            }
            else if (_pathStatus.TryGetValue(path, out var permanent))
            {
                (status, text) = permanent;
            }
            else if (_options.RequireValidSignature && !signatureValid)
            {
                status = StatusCodes.Status401Unauthorized;
            }
            else if (_options.DeduplicateOnIdempotencyKey && key is not null && !_processedKeys.Add(key))
            {
                status = StatusCodes.Status200OK;
                replayed = true;
            }
            else
            {
                status = StatusCodes.Status200OK;
            }

            _deliveries.Add(new ReceivedDelivery
            {
                Path = path,
                Signature = signature,
                IdempotencyKey = key,
                DeliveryId = Header(request, "X-DeployGuard-Delivery"),
                UserAgent = Header(request, "User-Agent"),
                ContentType = Header(request, "Content-Type"),
                Body = Encoding.UTF8.GetString(body),
                Values = values,
                SignatureValid = signatureValid,
                StatusCode = status,
                Replayed = replayed,
                ReceivedAt = receivedAt,
            });
        }

        if (fault?.Delay is { } delay)
        {
            try
            {
                await Task.Delay(delay, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        http.Response.StatusCode = status;
        if (fault?.RetryAfter is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter;
        }

        if (replayed)
        {
            http.Response.Headers[ReplayHeader] = "true";
        }

        if (text is not null)
        {
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(text, http.RequestAborted);
            return;
        }

        http.Response.ContentType = "application/json";
        var answer = status is >= 200 and < 300
            ? JsonSerializer.Serialize(new Dictionary<string, object?> { ["ok"] = true, ["replayed"] = replayed })
            : JsonSerializer.Serialize(new Dictionary<string, object?> { ["ok"] = false, ["status"] = status });
        await http.Response.WriteAsync(answer, http.RequestAborted);
    }

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) && value.Count > 0 ? value.ToString() : null;

    /// <summary>The body's top-level string values; empty when it is not a JSON object.</summary>
    private static Dictionary<string, string> Values(byte[] body)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in json.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String)
                    {
                        values[property.Name] = property.Value.GetString()!;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Recorded as received; the test sees the raw body.
        }

        return values;
    }

    private static string Normalize(string path) => "/" + path.TrimStart('/');

    private sealed record Fault(int Status, TimeSpan? Delay, string? RetryAfter);

    private sealed record PathAnswer(int Status, string? Body);
}

/// <summary>How a <see cref="PipelineReceiver"/> behaves.</summary>
public sealed class PipelineReceiverOptions
{
    /// <summary>The shared secret deliveries are checked against (<see cref="ReceivedDelivery.SignatureValid"/>).</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// A delivery whose <c>Idempotency-Key</c> was already accepted is answered 200 with
    /// <c>Idempotent-Replayed: true</c> and not processed again: the receiver side of at-least-once delivery.
    /// </summary>
    public bool DeduplicateOnIdempotencyKey { get; set; }

    /// <summary>Answer 401 to a delivery whose signature does not verify against <see cref="Secret"/>.</summary>
    public bool RequireValidSignature { get; set; }

    /// <summary>Larger bodies are answered 413.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The clock of <see cref="ReceivedDelivery.ReceivedAt"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>One delivery a <see cref="PipelineReceiver"/> received, and what it answered.</summary>
public sealed record ReceivedDelivery
{
    /// <summary>The request path, starting with '/'.</summary>
    public required string Path { get; init; }

    /// <summary><c>X-DeployGuard-Signature-256</c>.</summary>
    public string? Signature { get; init; }

    public string? IdempotencyKey { get; init; }

    /// <summary><c>X-DeployGuard-Delivery</c>: one per attempt.</summary>
    public string? DeliveryId { get; init; }

    public string? UserAgent { get; init; }

    public string? ContentType { get; init; }

    /// <summary>The body as received (UTF-8).</summary>
    public required string Body { get; init; }

    /// <summary>The body's string values by name: environment, app, commit, previous_commit, deploy_id.</summary>
    public required IReadOnlyDictionary<string, string> Values { get; init; }

    /// <summary>The signature verified against <see cref="PipelineReceiverOptions.Secret"/>; false without a secret.</summary>
    public bool SignatureValid { get; init; }

    /// <summary>The status answered (a fault's, a path's, 401 for a bad signature with <see cref="PipelineReceiverOptions.RequireValidSignature"/>, or 200).</summary>
    public int StatusCode { get; init; }

    /// <summary>Answered as a replay of an already accepted <see cref="IdempotencyKey"/>.</summary>
    public bool Replayed { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The body's <c>deploy_id</c>, else the <c>Idempotency-Key</c>.</summary>
    public string? DeployId => Values.TryGetValue("deploy_id", out var id) ? id : IdempotencyKey;
}
