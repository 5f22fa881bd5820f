using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeployGuard.GitHub.Auth;

namespace DeployGuard.Tests.GitHub;

public sealed class GitHubAppJwtTests
{
    [Fact]
    public void Create_SignsRs256WithTheClaimsGitHubRequires()
    {
        using var key = RSA.Create(2048);
        var now = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

        var jwt = GitHubAppJwt.Create(key, 42, now);

        var parts = jwt.Split('.');
        parts.Length.ShouldBe(3);
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        header.RootElement.GetProperty("alg").GetString().ShouldBe("RS256");
        header.RootElement.GetProperty("typ").GetString().ShouldBe("JWT");
        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        claims.RootElement.GetProperty("iat").GetInt64().ShouldBe(now.AddSeconds(-60).ToUnixTimeSeconds());
        claims.RootElement.GetProperty("exp").GetInt64().ShouldBe(now.AddMinutes(9).ToUnixTimeSeconds());
        claims.RootElement.GetProperty("iss").GetString().ShouldBe("42");
        key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).ShouldBeTrue();
    }
}
