using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DeployGuard.Sandbox;

/// <summary>
/// An answer, written the way GitHub writes every answer: rate-limit headers, the selected API
/// version, an ETag on successful GETs (a matching If-None-Match turns it into a bodiless 304 that
/// costs nothing), and GitHub's JSON error shape. Every path out of the emulator goes through here.
/// </summary>
internal sealed record ApiResponse(int Status) : IResult
{
    private const string GeneralDocs = "https://docs.github.com/rest";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        // GitHub writes '+', '<' and non-ASCII text as is; the default encoder would escape them.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public JsonNode? Json { get; init; }

    /// <summary>A body sent verbatim (faults, GitHub's plain-text answers).</summary>
    public string? Text { get; init; }

    public string ContentType { get; init; } = "application/json; charset=utf-8";

    public string? Link { get; init; }

    /// <summary>False for answers that cost the caller nothing (faults, /rate_limit).</summary>
    public bool Counts { get; init; } = true;

    /// <summary>False when no ETag should be computed (faults answer as configured, nothing more).</summary>
    public bool Conditional { get; init; } = true;

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public static ApiResponse Ok(JsonNode body, string? link = null) => new(StatusCodes.Status200OK) { Json = body, Link = link };

    public static ApiResponse Error(int status, string message, string documentationUrl = GeneralDocs) => new(status)
    {
        Json = new JsonObject
        {
            ["message"] = message,
            ["documentation_url"] = documentationUrl,
            ["status"] = status.ToString(CultureInfo.InvariantCulture),
        },
    };

    public static ApiResponse NotFound(string documentationUrl = GeneralDocs) => Error(StatusCodes.Status404NotFound, "Not Found", documentationUrl);

    /// <summary>GitHub's answer for any call that needs commits of a repository without any.</summary>
    public static ApiResponse EmptyRepository(string documentationUrl) => Error(StatusCodes.Status409Conflict, "Git Repository is empty.", documentationUrl);

    public static ApiResponse PrimaryRateLimit(string login, EmulatorServices services) => Error(
        StatusCodes.Status403Forbidden,
        $"API rate limit exceeded for user ID {services.State.UserId(login)}.",
        EmulatorFault.PrimaryRateLimitDocs) with { Counts = false };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var request = EmulatorRequest.Of(httpContext);
        var body = Json is not null ? JsonSerializer.SerializeToUtf8Bytes(Json, JsonOptions)
            : Text is not null ? Encoding.UTF8.GetBytes(Text)
            : [];
        var status = Status;
        string? etag = null;
        if (Conditional && status == StatusCodes.Status200OK && HttpMethods.IsGet(httpContext.Request.Method))
        {
            etag = ETags.Compute(body);
            if (ETags.Matches(httpContext.Request.Headers.IfNoneMatch, etag))
            {
                status = StatusCodes.Status304NotModified;
                body = [];
            }
        }

        if (status == StatusCodes.Status304NotModified || !Counts)
        {
            request.Refund();
        }

        var response = httpContext.Response;
        response.StatusCode = status;
        var headers = response.Headers;
        request.RateLimitView().WriteHeaders(headers);
        if (request.ApiVersion is not null)
        {
            headers["x-github-api-version-selected"] = request.ApiVersion;
        }

        headers["x-github-media-type"] = "github.v3; format=json";
        headers["x-github-request-id"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        if (etag is not null)
        {
            headers.ETag = etag;
        }

        if (Link is not null && status != StatusCodes.Status304NotModified)
        {
            headers.Link = Link;
        }

        if (body.Length > 0)
        {
            response.ContentType = ContentType;
        }

        foreach (var (name, value) in Headers ?? new Dictionary<string, string>())
        {
            headers[name] = value;
        }

        response.ContentLength = body.Length;
        if (body.Length > 0)
        {
            await response.Body.WriteAsync(body, httpContext.RequestAborted);
        }
    }
}
