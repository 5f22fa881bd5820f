using DeployGuard.Git;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace DeployGuard.Sandbox;

/// <summary>
/// The middleware every request passes, in GitHub's order as far as a client can observe it:
/// record → path prefix → faults → User-Agent → API version → route → authenticate → rate limit →
/// 404 for unknown routes → endpoint.
/// </summary>
internal static class RequestPipeline
{
    public const string ApiVersionHeader = "X-GitHub-Api-Version";

    /// <summary>The REST API versions GitHub's description knows; others get GitHub's 400.</summary>
    public static readonly IReadOnlyList<string> SupportedApiVersions = ["2022-11-28", "2026-03-10"];

    private const string UserAgentRequired =
        "Request forbidden by administrative rules. Please make sure your request has a User-Agent header " +
        "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). " +
        "Check https://developer.github.com for other possible causes.\n";

    public static void Configure(IApplicationBuilder app, EmulatorServices services)
    {
        app.Use((http, next) => RecordAsync(http, next, services));
        app.Use(StripPathPrefixAsync);
        app.Use(ApplyFaultsAsync);
        app.Use(RequireUserAgentAsync);
        app.Use(SelectApiVersionAsync);
        app.UseRouting();
        app.Use(AuthenticateAsync);
        app.Use(SpendRateLimitAsync);
        app.Use(NotFoundWithoutEndpointAsync);
    }

    private static async Task RecordAsync(HttpContext http, RequestDelegate next, EmulatorServices services)
    {
        var request = http.Request;
        var entry = services.Log.Start(
            request.Method,
            request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent(),
            !string.IsNullOrEmpty(request.Headers.Authorization),
            request.Headers.IfNoneMatch.Count == 0 ? null : request.Headers.IfNoneMatch.ToString());
        http.Features.Set(new EmulatorRequest(services));
        http.Response.OnStarting(() =>
        {
            entry.Complete(http.Response.StatusCode);
            return Task.CompletedTask;
        });
        try
        {
            await next(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            entry.Complete(499);
        }
        catch (Exception ex) when (!http.Response.HasStarted && ex is not OperationCanceledException)
        {
            // A seeding mistake (a pull request whose commits are not in its repository) or an
            // emulator bug is a loud 500 that says what went wrong, never a silent empty answer.
            var message = ex is GitCommandException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            http.Response.Clear();
            await ApiResponse.Error(StatusCodes.Status500InternalServerError, "emulator: " + message).ExecuteAsync(http);
        }
        finally
        {
            entry.Complete(http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted ? 499 : http.Response.StatusCode);
        }
    }

    private static Task StripPathPrefixAsync(HttpContext http, RequestDelegate next)
    {
        var prefix = EmulatorRequest.Of(http).Services.PathPrefix;
        if (prefix.Length == 0)
        {
            return next(http);
        }

        if (!http.Request.Path.StartsWithSegments(prefix, StringComparison.Ordinal, out var rest))
        {
            return ApiResponse.NotFound().ExecuteAsync(http);
        }

        http.Request.PathBase = http.Request.PathBase.Add(prefix);
        http.Request.Path = rest.HasValue ? rest : new PathString("/");
        return next(http);
    }

    private static async Task ApplyFaultsAsync(HttpContext http, RequestDelegate next)
    {
        var request = EmulatorRequest.Of(http);
        var fault = request.Services.Faults.Take(http.Request.Method, http.Request.Path.Value ?? "/");
        if (fault is null)
        {
            await next(http);
            return;
        }

        if (fault.Delay > TimeSpan.Zero)
        {
            await Task.Delay(fault.Delay, http.RequestAborted);
        }

        if (fault.Status <= 0)
        {
            await next(http);
            return;
        }

        // Faults answer before authentication, but still show the caller's budget as GitHub does.
        request.RateKey = Authentication.Identify(http.Request, request.Services)?.RateKey;
        await new ApiResponse(fault.Status)
        {
            Text = fault.Body ?? (fault.Status >= 400
                ? EmulatorFault.ErrorBody(ReasonPhrase(fault.Status), "https://docs.github.com/rest")
                : null),
            Headers = fault.Headers,
            Counts = false,
            Conditional = false,
        }.ExecuteAsync(http);
    }

    private static Task RequireUserAgentAsync(HttpContext http, RequestDelegate next)
    {
        if (!string.IsNullOrWhiteSpace(http.Request.Headers.UserAgent))
        {
            return next(http);
        }

        // GitHub's answer is plain text, not its JSON error shape; a client must cope with both.
        return new ApiResponse(StatusCodes.Status403Forbidden)
        {
            Text = UserAgentRequired,
            ContentType = "text/plain; charset=utf-8",
            Counts = false,
        }.ExecuteAsync(http);
    }

    private static Task SelectApiVersionAsync(HttpContext http, RequestDelegate next)
    {
        var requested = http.Request.Headers[ApiVersionHeader].ToString();
        if (requested.Length == 0)
        {
            return next(http);
        }

        if (!SupportedApiVersions.Contains(requested))
        {
            return ApiResponse.Error(
                StatusCodes.Status400BadRequest,
                $"Unsupported '{ApiVersionHeader}' header: \"{requested}\". The supported versions are [{string.Join(", ", SupportedApiVersions.Select(v => $"\"{v}\""))}].",
                "https://docs.github.com/rest/overview/api-versions").ExecuteAsync(http);
        }

        EmulatorRequest.Of(http).ApiVersion = requested;
        return next(http);
    }

    private static Task AuthenticateAsync(HttpContext http, RequestDelegate next)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<AppJwtAuthentication>() is not null)
        {
            return next(http);
        }

        var request = EmulatorRequest.Of(http);
        if (string.IsNullOrWhiteSpace(http.Request.Headers.Authorization))
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, "Requires authentication").ExecuteAsync(http);
        }

        if (Authentication.Identify(http.Request, request.Services) is not { } caller)
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, "Bad credentials").ExecuteAsync(http);
        }

        request.Login = caller.Login;
        request.RateKey = caller.RateKey;
        return next(http);
    }

    private static Task SpendRateLimitAsync(HttpContext http, RequestDelegate next)
    {
        var request = EmulatorRequest.Of(http);
        if (request.RateKey is null || http.GetEndpoint()?.Metadata.GetMetadata<RateLimitExempt>() is not null)
        {
            return next(http);
        }

        if (!request.Services.RateLimits.TryConsume(request.RateKey, out _))
        {
            return ApiResponse.PrimaryRateLimit(request.Login ?? "ghost", request.Services).ExecuteAsync(http);
        }

        request.Reserved = true;
        return next(http);
    }

    private static Task NotFoundWithoutEndpointAsync(HttpContext http, RequestDelegate next)
    {
        // Routing's own "405 Method Not Allowed" endpoint has no method metadata; GitHub answers 404 there too.
        return http.GetEndpoint()?.Metadata.GetMetadata<IHttpMethodMetadata>() is null
            ? ApiResponse.NotFound().ExecuteAsync(http)
            : next(http);
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
