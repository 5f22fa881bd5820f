using DeployGuard.Sandbox;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Sandbox;

/// <summary>
/// A real application repository with the three ways a pull request reaches main, seeded into an
/// emulator as acme/app:
/// <code>
///   main:    root ── mainMove ──────── merge ─────────── squash
///              \                      /        \          (squash of topic1, topic2)
///   feature:    feature1 ── feature2 ─(#1)      \
///   topic:                                       topic1 ── topic2 (#2, squash-merged)
///   wip (open, #3):                                          squash ── wip1
/// </code>
/// Commits are authored by author@example.com (mapped to "alice") and committed by
/// committer@example.com (not mapped, so GitHub shows no committer user).
/// </summary>
internal sealed class GitScenario : IDisposable
{
    public const string Repository = "acme/app";

    private GitScenario(TestRepo repo) => Repo = repo;

    public TestRepo Repo { get; }

    public string Root { get; private set; } = "";

    public string Feature1 { get; private set; } = "";

    public string Feature2 { get; private set; } = "";

    public string MainMove { get; private set; } = "";

    public string Merge { get; private set; } = "";

    public string Topic1 { get; private set; } = "";

    public string Topic2 { get; private set; } = "";

    public string Squash { get; private set; } = "";

    public string Wip1 { get; private set; } = "";

    public static GitScenario Create()
    {
        var s = new GitScenario(TestRepo.Create());
        var repo = s.Repo;
        s.Root = repo.CommitFiles("root", ("app.txt", "0\n"));
        repo.Checkout("feature", create: true);
        s.Feature1 = repo.CommitFiles("feature one", ("feature.txt", "1\n"));
        s.Feature2 = repo.CommitFiles("feature two", ("feature.txt", "2\n"));
        repo.Checkout("main");
        s.MainMove = repo.CommitFiles("main moves on", ("app.txt", "1\n"));
        s.Merge = repo.MergeNoFf("feature", "Merge pull request #1 from acme/feature");
        repo.Checkout("topic", create: true);
        s.Topic1 = repo.CommitFiles("topic one", ("topic.txt", "1\n"));
        s.Topic2 = repo.CommitFiles("topic two", ("topic.txt", "2\n"));
        repo.Checkout("main");
        s.Squash = repo.SquashMerge("topic", "Topic (#2)");
        repo.Checkout("wip", create: true);
        s.Wip1 = repo.CommitFiles("work in progress", ("wip.txt", "1\n"));
        repo.Checkout("main");
        return s;
    }

    /// <summary>Registers the repository and pull requests #1 (merge commit), #2 (squash) and #3 (open).</summary>
    public void Seed(EmulatorState state)
    {
        state.AddRepository(Repository, Repo.Path);
        state.MapEmail("author@example.com", "alice");
        state.AddPullRequest(Repository, new PullRequestSeed("carol", "feature", Feature2, "main", Root)
        {
            Merged = true,
            MergeCommitSha = Merge,
            Labels = ["deploy"],
            Title = "Feature",
        });
        state.AddPullRequest(Repository, new PullRequestSeed("dave", "topic", Topic2, "main", Merge)
        {
            Merged = true,
            MergeCommitSha = Squash,
        });
        state.AddPullRequest(Repository, new PullRequestSeed("erin", "wip", Wip1, "main", Squash));
    }

    public void Dispose() => Repo.Dispose();
}

/// <summary>Signs GitHub App JWTs (RS256) the way an app's client does.</summary>
internal static class AppJwtSigner
{
    public static string Sign(System.Security.Cryptography.RSA key, object issuer, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        var header = Base64Url("""{"alg":"RS256","typ":"JWT"}"""u8.ToArray());
        var payload = Base64Url(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["exp"] = expiresAt.ToUnixTimeSeconds(),
            ["iss"] = issuer,
        }));
        var signature = key.SignData(System.Text.Encoding.ASCII.GetBytes($"{header}.{payload}"),
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
