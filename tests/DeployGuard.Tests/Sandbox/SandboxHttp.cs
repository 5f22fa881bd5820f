using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DeployGuard.Sandbox;

namespace DeployGuard.Tests.Sandbox;

/// <summary>Plain HttpClient access to an emulator, as any GitHub client would make it.</summary>
internal static class SandboxHttp
{
    public const string Token = "ghp_test_token";

    public static HttpClient Client(GitHubEmulator emulator, string? token = Token, string scheme = "Bearer", bool userAgent = true)
    {
        var client = new HttpClient { BaseAddress = emulator.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (userAgent)
        {
            client.DefaultRequestHeaders.UserAgent.ParseAdd("DeployGuard-Tests/1.0");
        }

        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, token);
        }

        return client;
    }

    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>A response or content header, or null.</summary>
    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    public static int IntHeader(this HttpResponseMessage response, string name) =>
        int.Parse(response.Header(name) ?? throw new ShouldAssertException($"no {name} header"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The Link header as rel → absolute URL.</summary>
    public static Dictionary<string, string> Links(this HttpResponseMessage response)
    {
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in (response.Header("Link") ?? "").Split(", <", StringSplitOptions.RemoveEmptyEntries))
        {
            var url = part.TrimStart('<')[..part.TrimStart('<').IndexOf('>', StringComparison.Ordinal)];
            var rel = part[(part.IndexOf("rel=\"", StringComparison.Ordinal) + 5)..].TrimEnd('"');
            links[rel] = url;
        }

        return links;
    }
}

/// <summary>A clock the test moves by hand, for rate-limit windows and token expiry.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
