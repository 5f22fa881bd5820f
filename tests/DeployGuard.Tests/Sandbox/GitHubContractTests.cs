using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeployGuard.GitHub;
using DeployGuard.Sandbox;

namespace DeployGuard.Tests.Sandbox;

/// <summary>
/// Keeps the emulator — and so every client test that runs against it — faithful to GitHub: each
/// emulated endpoint's answer is compared with GitHub's official example for that operation
/// (../shared/github-contract/rest/&lt;operation&gt;.json). Every JSON property DeployGuard reads, found
/// by reflection over the wire records in DeployGuard.GitHub/Model.cs, must be present in both with
/// the same JSON kind; and the emulator must send no property that GitHub's example lacks.
/// </summary>
public sealed class GitHubContractTests
{
    /// <summary>
    /// Where GitHub's schema lets a value be null although the official example shows one. Each
    /// entry names the property and why; an emulator answer may be null there (and only there).
    /// </summary>
    private static readonly Dictionary<string, string> NullableInGitHub = new(StringComparer.Ordinal)
    {
        ["merged_at"] = "pull-request(-simple).merged_at is a nullable date-time: null until the pull request is merged",
        ["merge_commit_sha"] = "pull-request(-simple).merge_commit_sha is a nullable string: null before GitHub computes a test merge",
        ["user"] = "pull-request-simple.user, pull-request-review.user and the collaborator's user are nullable-simple-user (deleted accounts)",
        ["author"] = "commit.author is nullable-simple-user (null when the git email belongs to no GitHub account); commit.commit.author is nullable-git-user",
        ["committer"] = "as author: commit.committer and commit.commit.committer are nullable",
        ["commit_id"] = "pull-request-review.commit_id is a nullable string",
        ["repo"] = "a pull request's head.repo is null when the fork it came from was deleted",
        ["conclusion"] = "workflow-run.conclusion and check-run.conclusion are null until the run completes",
        ["description"] = "status.description is a nullable string: a status may be posted without one",
        ["target_url"] = "status.target_url is a nullable string: a status may link nowhere",
    };

    /// <summary>
    /// Operations whose answers DeployGuard.GitHub declares no record for: the fields its client
    /// needs (SPEC §10: installation tokens refreshed before expiry; never exceed the limit shown).
    /// </summary>
    private static readonly Dictionary<string, string[]> ExplicitPaths = new(StringComparer.Ordinal)
    {
        ["apps.create-installation-access-token"] = ["token", "expires_at", "permissions", "repository_selection"],
        ["rate-limit.get"] =
        [
            "resources", "resources.core", "resources.core.limit", "resources.core.used", "resources.core.remaining", "resources.core.reset",
            "rate", "rate.limit", "rate.used", "rate.remaining", "rate.reset",
        ],
    };

    private static readonly Dictionary<string, Type> ModelOf = new(StringComparer.Ordinal)
    {
        ["repos.list-pull-requests-associated-with-commit"] = typeof(PullRequest),
        ["pulls.get"] = typeof(PullRequest),
        ["pulls.list-reviews"] = typeof(PullRequestReview),
        ["pulls.list-commits"] = typeof(PullRequestCommit),
        ["repos.compare-commits"] = typeof(CommitComparison),
        ["repos.get-collaborator-permission-level"] = typeof(CollaboratorAccess),
        ["teams.get-membership-for-user-in-org"] = typeof(TeamMembership),
        ["actions.create-workflow-dispatch"] = typeof(WorkflowDispatchResult),
        ["actions.list-workflow-runs-for-repo"] = typeof(WorkflowRunPage),
        ["actions.get-workflow-run"] = typeof(WorkflowRun),
        ["repos.get-commit"] = typeof(DeployGuard.GitHub.GitCommitInfo),
        ["repos.get-combined-status-for-ref"] = typeof(CombinedStatus),
        ["checks.list-for-ref"] = typeof(CheckRunPage),
    };

    /// <summary>The request bodies DeployGuard sends, by operation.</summary>
    private static readonly Dictionary<string, Type> RequestOf = new(StringComparer.Ordinal)
    {
        ["actions.create-workflow-dispatch"] = typeof(DeployGuard.GitHub.Serialization.WorkflowDispatchRequest),
        ["repos.create-dispatch-event"] = typeof(DeployGuard.GitHub.Serialization.RepositoryDispatchRequest),
    };

    public static TheoryData<string> Operations => new(ModelOf.Keys.Concat(ExplicitPaths.Keys));

    public static TheoryData<string> RequestOperations => new(RequestOf.Keys);

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task EmulatorAnswer_HasEveryFieldDeployGuardReads_AsGitHubSendsIt(string operation)
    {
        await using var world = await ContractWorld.StartAsync();
        var official = Official(operation);
        var emulated = await world.FetchAsync(operation);
        var paths = PathsDeployGuardReads(operation);

        var problems = Compare(official, emulated, paths);

        paths.Count.ShouldBeGreaterThan(0);
        problems.ShouldBeEmpty($"{operation}: the emulator's answer differs from GitHub's official example");
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task EmulatorAnswer_SendsNoFieldGitHubDoesNot(string operation)
    {
        await using var world = await ContractWorld.StartAsync();
        var official = Official(operation);
        var emulated = await world.FetchAsync(operation);

        var problems = new List<string>();
        Invented(official, emulated, operation, problems);
        if (operation == "apps.create-installation-access-token")
        {
            // "permissions" is a map: GitHub's example shows two entries, the app-permissions schema
            // defines every name and level a token may carry.
            problems.RemoveAll(p => p.StartsWith(operation + ".permissions.", StringComparison.Ordinal));
            problems.AddRange(UnknownAppPermissions(emulated["permissions"]!.AsObject()));
        }

        problems.ShouldBeEmpty($"{operation}: the emulator sends fields or kinds GitHub's example does not have");
    }

    /// <summary>
    /// What DeployGuard sends is what GitHub's request schema describes: every property it writes is one the schema
    /// has, with the schema's JSON type, and every property the schema requires is written.
    /// </summary>
    [Theory]
    [MemberData(nameof(RequestOperations))]
    public void RequestBody_SendsOnlyAndAllOfWhatGitHubsSchemaRequires(string operation)
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(SharedContractFolder(), "rest", operation + ".json")))!["requestBodySchema"]!;
        var properties = schema["properties"]!.AsObject();
        var required = schema["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToList() ?? [];
        var sent = RequestOf[operation].GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, Kind: SchemaType(p.PropertyType)))
            .Where(p => p.Name is not null)
            .ToList();

        List<string> problems = [];
        foreach (var (name, kind) in sent)
        {
            if (properties[name!] is not { } property)
            {
                problems.Add($"{name}: not a property of GitHub's request schema");
            }
            else if (property["type"]?.GetValue<string>() != kind)
            {
                problems.Add($"{name}: GitHub's schema says {property["type"]}, DeployGuard sends {kind}");
            }
        }

        problems.AddRange(required.Where(r => !sent.Any(p => p.Name == r)).Select(r => $"{r}: required by GitHub, not sent"));

        sent.ShouldNotBeEmpty();
        problems.ShouldBeEmpty($"{operation}: DeployGuard's request body differs from GitHub's schema");
    }

    [Fact]
    public void PathsDeployGuardReads_FollowNestedRecordsAndLists()
    {
        var pullRequest = ModelPaths(typeof(PullRequest));
        var comparison = ModelPaths(typeof(CommitComparison));

        pullRequest.ShouldContain("merged_at");
        pullRequest.ShouldContain("base.repo.full_name");
        pullRequest.ShouldContain("labels[].name");
        pullRequest.ShouldContain("user.login");
        comparison.ShouldContain("commits[].commit.author.email");
        comparison.ShouldContain("commits[].author.id");
    }

    [Fact]
    public void Compare_ReportsMissingFieldsWrongKindsAndNullsGitHubNeverSends()
    {
        var official = JsonNode.Parse("""{"a":1,"b":{"c":"x"},"l":[{"n":"v"}],"title":"t","merged_at":"2011-01-26T19:01:12Z","flag":true}""");
        var emulated = JsonNode.Parse("""{"a":"1","l":[{}],"title":null,"merged_at":null,"flag":false,"extra":1}""");

        var problems = Compare(official, emulated, ["a", "b", "b.c", "l", "l[].n", "title", "merged_at", "flag", "extra"]);

        problems.Count.ShouldBe(6, string.Join("\n", problems));
        problems.ShouldContain(p => p.StartsWith("a:", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("b:", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("b.c:", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("l[].n:", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("title:", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("extra:", StringComparison.Ordinal));
    }

    // ---- the comparison -------------------------------------------------------------------------

    private static List<string> PathsDeployGuardReads(string operation) =>
        ExplicitPaths.TryGetValue(operation, out var paths) ? [.. paths] : ModelPaths(ModelOf[operation]);

    /// <summary>"name", "parent.child", "list[].child" for every [JsonPropertyName] of the record and the records it holds.</summary>
    internal static List<string> ModelPaths(Type type, string prefix = "")
    {
        List<string> paths = [];
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name is not { } name)
            {
                continue;
            }

            var path = prefix + name;
            paths.Add(path);
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var isList = valueType != typeof(string) && valueType.IsGenericType && typeof(IEnumerable).IsAssignableFrom(valueType);
            if (isList)
            {
                valueType = valueType.GetGenericArguments()[0];
            }

            if (valueType.IsClass && valueType != typeof(string) && valueType.Namespace == typeof(PullRequest).Namespace)
            {
                paths.AddRange(ModelPaths(valueType, path + (isList ? "[]." : ".")));
            }
        }

        return paths;
    }

    /// <summary>One line per difference between GitHub's example and the emulator's answer at the given paths.</summary>
    internal static List<string> Compare(JsonNode? official, JsonNode? emulated, IEnumerable<string> paths)
    {
        List<string> problems = [];
        foreach (var path in paths)
        {
            var fromGitHub = Resolve(official, path);
            var fromEmulator = Resolve(emulated, path);
            var name = path[(path.LastIndexOf('.') + 1)..].TrimEnd('[', ']');
            if (fromGitHub.Outcome == Outcome.ParentNull || fromEmulator.Outcome == Outcome.ParentNull)
            {
                continue; // judged at the parent, which is null on one side
            }

            if (fromGitHub.Outcome == Outcome.EmptyList || fromEmulator.Outcome == Outcome.EmptyList)
            {
                problems.Add($"{path}: a list on the way is empty, so its elements cannot be compared (seed data for it)");
            }
            else if (fromGitHub.Outcome == Outcome.Missing)
            {
                // GitHub's example lacks it (e.g. "merged" in pull-request-simple): so must the emulator,
                // or clients would be tested against a field GitHub does not send there.
                if (fromEmulator.Outcome != Outcome.Missing)
                {
                    problems.Add($"{path}: the emulator sends it, GitHub's example does not");
                }
            }
            else if (fromEmulator.Outcome == Outcome.Missing)
            {
                problems.Add($"{path}: missing from the emulator's answer (GitHub sends {Kind(fromGitHub.Node)})");
            }
            else if (Kind(fromGitHub.Node) != Kind(fromEmulator.Node)
                && !((Kind(fromGitHub.Node) == "null" || Kind(fromEmulator.Node) == "null") && NullableInGitHub.ContainsKey(name)))
            {
                problems.Add($"{path}: GitHub sends {Kind(fromGitHub.Node)}, the emulator {Kind(fromEmulator.Node)}");
            }
        }

        return problems;
    }

    /// <summary>Every property of the emulator's answer must exist in GitHub's example with the same kind (null allowed on either side).</summary>
    private static void Invented(JsonNode? official, JsonNode? emulated, string path, List<string> problems)
    {
        switch (official, emulated)
        {
            case (JsonObject github, JsonObject ours):
                foreach (var (name, value) in ours)
                {
                    if (!github.TryGetPropertyValue(name, out var expected))
                    {
                        problems.Add($"{path}.{name}: not in GitHub's example");
                        continue;
                    }

                    Invented(expected, value, $"{path}.{name}", problems);
                }

                break;
            case (JsonArray github, JsonArray ours):
                if (github.Count > 0 && ours.Count > 0)
                {
                    Invented(github[0], ours[0], path + "[]", problems);
                }

                break;
            default:
                if (Kind(official) != Kind(emulated) && Kind(official) != "null" && Kind(emulated) != "null")
                {
                    problems.Add($"{path}: GitHub sends {Kind(official)}, the emulator {Kind(emulated)}");
                }

                break;
        }
    }

    /// <summary>The JSON schema type a property of this CLR type is written as.</summary>
    private static string SchemaType(Type type) =>
        type == typeof(string) ? "string"
        : type == typeof(bool) ? "boolean"
        : type == typeof(int) || type == typeof(long) ? "integer"
        : typeof(IDictionary).IsAssignableFrom(type) ? "object"
        : typeof(IEnumerable).IsAssignableFrom(type) ? "array"
        : "object";

    private static IEnumerable<string> UnknownAppPermissions(JsonObject permissions)
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(SharedContractFolder(), "rest", "_components.json")))!
            ["schemas"]!["app-permissions"]!["properties"]!.AsObject();
        permissions.Count.ShouldBeGreaterThan(0);
        foreach (var (name, level) in permissions)
        {
            var levels = schema[name]?["enum"]?.AsArray().Select(l => l!.GetValue<string>()).ToList();
            if (levels is null || level?.GetValueKind() != JsonValueKind.String || !levels.Contains(level.GetValue<string>()))
            {
                yield return $"permissions.{name}: {level?.ToJsonString()} is not a permission of GitHub's app-permissions schema";
            }
        }
    }

    private enum Outcome
    {
        Present,
        Missing,
        ParentNull,
        EmptyList,
    }

    private static (Outcome Outcome, JsonNode? Node) Resolve(JsonNode? root, string path)
    {
        var current = root;
        foreach (var segment in path.Split('.'))
        {
            var isList = segment.EndsWith("[]", StringComparison.Ordinal);
            if (current is null)
            {
                return (Outcome.ParentNull, null);
            }

            if (current is not JsonObject obj || !obj.TryGetPropertyValue(isList ? segment[..^2] : segment, out current))
            {
                return (Outcome.Missing, null);
            }

            if (isList)
            {
                if (current is not JsonArray array)
                {
                    return current is null ? (Outcome.ParentNull, null) : (Outcome.Missing, null);
                }

                if (array.Count == 0)
                {
                    return (Outcome.EmptyList, null);
                }

                current = array[0];
            }
        }

        return (Outcome.Present, current);
    }

    /// <summary>The JSON kind, with true and false as one kind.</summary>
    private static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        var kind => kind.ToString()!.ToLowerInvariant(),
    };

    // ---- GitHub's examples ----------------------------------------------------------------------

    /// <summary>The 2xx example of an operation; for a list, its first element.</summary>
    private static JsonNode Official(string operation)
    {
        var file = Path.Combine(SharedContractFolder(), "rest", operation + ".json");
        var responses = JsonNode.Parse(File.ReadAllText(file))!["responses"]!.AsObject();
        var example = responses["200"] ?? responses["201"] ?? throw new InvalidOperationException($"{file} has no 200 or 201 example");
        return example is JsonArray list ? list[0]! : example;
    }

    private static string SharedContractFolder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DeployGuard.sln")))
        {
            directory = directory.Parent;
        }

        var root = directory?.FullName ?? throw new InvalidOperationException("DeployGuard.sln not found above " + AppContext.BaseDirectory);
        var folder = Path.GetFullPath(Path.Combine(root, "..", "shared", "github-contract"));
        Directory.Exists(folder).ShouldBeTrue($"the official GitHub examples are expected at {folder}");
        return folder;
    }

    /// <summary>An emulator seeded so that every field DeployGuard reads has a non-null value to compare.</summary>
    private sealed class ContractWorld : IAsyncDisposable
    {
        private const long AppId = 4242;
        private const long InstallationId = 99;

        private readonly GitScenario _git;
        private readonly GitHubEmulator _emulator;
        private readonly RSA _appKey;

        private ContractWorld(GitScenario git, GitHubEmulator emulator, RSA appKey)
        {
            _git = git;
            _emulator = emulator;
            _appKey = appKey;
        }

        public static async Task<ContractWorld> StartAsync()
        {
            var git = GitScenario.Create();
            var emulator = await GitHubEmulator.StartAsync();
            var key = RSA.Create(2048);
            var state = emulator.State;
            state.AddToken(SandboxHttp.Token);
            git.Seed(state);
            state.MapEmail("committer@example.com", "cathy");
            state.AddReview(GitScenario.Repository, 1, new ReviewSeed("bob", "APPROVED", git.Feature2) { Body = "Ship it" });
            state.SetPermission(GitScenario.Repository, "bob", "write");
            state.AddTeamMember("acme", "ops", "olga", role: "maintainer");
            state.RegisterAppInstallation(AppId, key.ExportSubjectPublicKeyInfoPem(), InstallationId);
            state.AddWorkflow(GitScenario.Repository, "deploy.yml", new WorkflowSeed { Name = "Deploy" });
            state.AddStatus(GitScenario.Repository, git.Squash, "ci/build", "success", "Build passed", "https://ci.example.com/builds/1");
            state.AddCheckRun(GitScenario.Repository, git.Squash, "lint", "completed", "neutral");
            return new ContractWorld(git, emulator, key);
        }

        /// <summary>The emulator's 2xx answer for the operation; for a list, its first element.</summary>
        public async Task<JsonNode> FetchAsync(string operation)
        {
            var repo = $"repos/{GitScenario.Repository}";
            var now = DateTimeOffset.UtcNow;
            var dispatch = $"{repo}/actions/workflows/deploy.yml/dispatches";
            if (operation is "actions.get-workflow-run" or "actions.list-workflow-runs-for-repo")
            {
                // A run to show: dispatched as DeployGuard dispatches one.
                var created = await FetchAsync("actions.create-workflow-dispatch");
                var runId = created["workflow_run_id"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture);
                return await SendAsync(operation, SandboxHttp.Token, HttpMethod.Get, operation == "actions.get-workflow-run" ? $"{repo}/actions/runs/{runId}" : $"{repo}/actions/runs");
            }

            var (token, method, path) = operation switch
            {
                "repos.list-pull-requests-associated-with-commit" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/commits/{_git.Merge}/pulls"),
                "pulls.get" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/pulls/1"),
                "pulls.list-reviews" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/pulls/1/reviews"),
                "pulls.list-commits" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/pulls/1/commits"),
                "repos.compare-commits" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/compare/{_git.MainMove}...{_git.Feature2}"),
                "repos.get-collaborator-permission-level" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/collaborators/bob/permission"),
                "teams.get-membership-for-user-in-org" => (SandboxHttp.Token, HttpMethod.Get, "orgs/acme/teams/ops/memberships/olga"),
                "apps.create-installation-access-token" => (
                    AppJwtSigner.Sign(_appKey, AppId, now.AddSeconds(-60), now.AddMinutes(9)),
                    HttpMethod.Post,
                    $"app/installations/{InstallationId.ToString(CultureInfo.InvariantCulture)}/access_tokens"),
                "rate-limit.get" => (SandboxHttp.Token, HttpMethod.Get, "rate_limit"),
                "repos.get-commit" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/commits/{_git.Feature2}"),
                "repos.get-combined-status-for-ref" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/commits/main/status"),
                "checks.list-for-ref" => (SandboxHttp.Token, HttpMethod.Get, $"{repo}/commits/{_git.Squash}/check-runs"),
                "actions.create-workflow-dispatch" => (SandboxHttp.Token, HttpMethod.Post, dispatch),
                _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "no request defined for this operation"),
            };

            var body = operation == "actions.create-workflow-dispatch"
                ? """{"ref":"main","inputs":{"deploy_id":"staging.app.0123456789ab"},"return_run_details":true}"""
                : null;
            return await SendAsync(operation, token, method, path, body);
        }

        private async Task<JsonNode> SendAsync(string operation, string token, HttpMethod method, string path, string? body = null)
        {
            using var client = SandboxHttp.Client(_emulator, token);
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request);
            response.StatusCode.ShouldBeOneOf(HttpStatusCode.OK, HttpStatusCode.Created);
            var answer = await response.JsonAsync();
            if (answer is JsonArray list)
            {
                list.ShouldNotBeEmpty($"{operation}: seed data so the list has an element to compare");
                return list[0]!;
            }

            return answer;
        }

        public async ValueTask DisposeAsync()
        {
            await _emulator.DisposeAsync();
            _appKey.Dispose();
            _git.Dispose();
        }
    }
}
