using Microsoft.AspNetCore.Http;

namespace DeployGuard.Sandbox;

/// <summary>What the pipeline learned about one request: who is calling, whose rate limit it spends, which API version.</summary>
internal sealed class EmulatorRequest(EmulatorServices services)
{
    public EmulatorServices Services { get; } = services;

    /// <summary>The login the token acts as; null before authentication and for JWT calls.</summary>
    public string? Login { get; set; }

    /// <summary>The rate-limit bucket shown in the headers; null shows the unauthenticated limit.</summary>
    public string? RateKey { get; set; }

    /// <summary>True when one unit of <see cref="RateKey"/>'s budget is held for this request.</summary>
    public bool Reserved { get; set; }

    /// <summary>The X-GitHub-Api-Version the client asked for, echoed as x-github-api-version-selected.</summary>
    public string? ApiVersion { get; set; }

    public static EmulatorRequest Of(HttpContext http) =>
        http.Features.Get<EmulatorRequest>() ?? throw new InvalidOperationException("request did not pass through the emulator pipeline");

    /// <summary>Gives the reserved unit back: the answer does not count against the limit.</summary>
    public void Refund()
    {
        if (Reserved && RateKey is not null)
        {
            Services.RateLimits.Refund(RateKey);
        }

        Reserved = false;
    }

    public RateLimitView RateLimitView() =>
        RateKey is null ? Services.RateLimits.Anonymous() : Services.RateLimits.Peek(RateKey);
}

/// <summary>Endpoint metadata: the endpoint authenticates its caller itself (a GitHub App JWT), not with a token.</summary>
internal sealed class AppJwtAuthentication
{
    public static readonly AppJwtAuthentication Instance = new();
}

/// <summary>Endpoint metadata: calls are free and allowed when the budget is spent (GET /rate_limit, as documented).</summary>
internal sealed class RateLimitExempt
{
    public static readonly RateLimitExempt Instance = new();
}
