using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace DeployGuard.Sandbox;

/// <summary>
/// Builds GitHub's JSON objects with the field names, order and value types of the official
/// examples (../shared/github-contract/rest/). Fields the emulator cannot know truthfully (diff
/// statistics, milestones) are left out rather than invented.
/// </summary>
internal sealed class GitHubObjects(EmulatorServices services)
{
    private const string NewestApiVersion = "2026-03-10";

    private EmulatorUrls Urls => services.Urls;

    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonNode? Timestamp(DateTimeOffset? time) => time is { } t ? Timestamp(t) : null;

    /// <summary>GitHub's legacy global node ids are base64 of "0&lt;length of type&gt;:&lt;Type&gt;&lt;id&gt;" ("MDQ6VXNlcjE=" is User 1).</summary>
    public static string NodeId(string type, string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"0{type.Length.ToString(CultureInfo.InvariantCulture)}:{type}{id}"));

    /// <summary>Versions from 2026-03-10 on drop fields GitHub deprecated (the official examples' x-github-breaking-changes).</summary>
    public static bool IsNewApi(string? apiVersion) => string.CompareOrdinal(apiVersion ?? "", NewestApiVersion) >= 0;

    public JsonObject User(string login)
    {
        var id = services.State.UserId(login);
        var api = $"{Urls.Api}/users/{login}";
        return new JsonObject
        {
            ["login"] = login,
            ["id"] = id,
            ["node_id"] = NodeId("User", Id(id)),
            ["avatar_url"] = $"{Urls.Web}/avatars/u/{Id(id)}",
            ["gravatar_id"] = "",
            ["url"] = api,
            ["html_url"] = $"{Urls.Web}/{login}",
            ["followers_url"] = $"{api}/followers",
            ["following_url"] = $"{api}/following{{/other_user}}",
            ["gists_url"] = $"{api}/gists{{/gist_id}}",
            ["starred_url"] = $"{api}/starred{{/owner}}{{/repo}}",
            ["subscriptions_url"] = $"{api}/subscriptions",
            ["organizations_url"] = $"{api}/orgs",
            ["repos_url"] = $"{api}/repos",
            ["events_url"] = $"{api}/events{{/privacy}}",
            ["received_events_url"] = $"{api}/received_events",
            ["type"] = login.EndsWith("[bot]", StringComparison.OrdinalIgnoreCase) ? "Bot"
                : services.State.IsOrganization(login) ? "Organization"
                : "User",
            ["site_admin"] = false,
        };
    }

    public JsonObject? UserOrNull(string? login) => login is null ? null : User(login);

    public JsonObject Repository(RepositoryRecord repository)
    {
        var api = RepositoryApi(repository);
        return new JsonObject
        {
            ["id"] = repository.Id,
            ["node_id"] = NodeId("Repository", Id(repository.Id)),
            ["name"] = repository.Name,
            ["full_name"] = repository.FullName,
            ["owner"] = User(repository.Owner),
            ["private"] = true,
            ["html_url"] = $"{Urls.Web}/{repository.FullName}",
            ["description"] = null,
            ["fork"] = false,
            ["url"] = api,
            ["commits_url"] = $"{api}/commits{{/sha}}",
            ["compare_url"] = $"{api}/compare/{{base}}...{{head}}",
            ["pulls_url"] = $"{api}/pulls{{/number}}",
            ["statuses_url"] = $"{api}/statuses/{{sha}}",
            ["clone_url"] = $"{Urls.Web}/{repository.FullName}.git",
        };
    }

    /// <summary>
    /// A pull request. <paramref name="full"/> is the <c>pulls/{n}</c> shape; without it, the
    /// "pull-request-simple" of list answers, which has no <c>merged</c> (clients read <c>merged_at</c>).
    /// </summary>
    public JsonObject PullRequest(RepositoryRecord repository, PullRequestRecord pull, bool full, string? apiVersion, int? commits = null)
    {
        var seed = pull.Seed;
        var api = RepositoryApi(repository);
        var number = pull.Number.ToString(CultureInfo.InvariantCulture);
        var self = $"{api}/pulls/{number}";
        var html = $"{Urls.Web}/{repository.FullName}/pull/{number}";
        var o = new JsonObject
        {
            ["url"] = self,
            ["id"] = pull.Id,
            ["node_id"] = NodeId("PullRequest", Id(pull.Id)),
            ["html_url"] = html,
            ["diff_url"] = html + ".diff",
            ["patch_url"] = html + ".patch",
            ["issue_url"] = $"{api}/issues/{number}",
            ["commits_url"] = $"{self}/commits",
            ["review_comments_url"] = $"{self}/comments",
            ["review_comment_url"] = $"{api}/pulls/comments{{/number}}",
            ["comments_url"] = $"{api}/issues/{number}/comments",
            ["statuses_url"] = $"{api}/statuses/{seed.HeadSha}",
            ["number"] = pull.Number,
            ["state"] = seed.State,
            ["locked"] = false,
            ["title"] = seed.Title ?? $"Pull request #{number}",
            ["user"] = User(seed.Author),
            ["body"] = null,
            ["labels"] = new JsonArray([.. seed.Labels.Select(label => Label(repository, label))]),
            ["milestone"] = null,
            ["active_lock_reason"] = null,
            ["created_at"] = Timestamp(pull.CreatedAt),
            ["updated_at"] = Timestamp(pull.UpdatedAt),
            ["closed_at"] = Timestamp(pull.ClosedAt),
            ["merged_at"] = Timestamp(seed.MergedAt),
            ["merge_commit_sha"] = seed.MergeCommitSha,
            ["assignee"] = null,
            ["assignees"] = new JsonArray(),
            ["requested_reviewers"] = new JsonArray(),
            ["requested_teams"] = new JsonArray(),
            ["head"] = BranchRef(repository, seed.HeadRef, seed.HeadSha),
            ["base"] = BranchRef(repository, seed.BaseRef, seed.BaseSha),
            ["_links"] = new JsonObject
            {
                ["self"] = Href(self),
                ["html"] = Href(html),
                ["issue"] = Href($"{api}/issues/{number}"),
                ["comments"] = Href($"{api}/issues/{number}/comments"),
                ["review_comments"] = Href($"{self}/comments"),
                ["review_comment"] = Href($"{api}/pulls/comments{{/number}}"),
                ["commits"] = Href($"{self}/commits"),
                ["statuses"] = Href($"{api}/statuses/{seed.HeadSha}"),
            },
            ["author_association"] = AuthorAssociation(repository, seed.Author),
            ["auto_merge"] = null,
            ["draft"] = false,
        };
        if (full)
        {
            var open = seed.State == "open";
            o["merged"] = seed.Merged;
            o["mergeable"] = open ? true : null;
            o["rebaseable"] = open ? true : null;
            o["mergeable_state"] = open ? "clean" : "unknown";
            o["merged_by"] = null;
            o["comments"] = 0;
            o["review_comments"] = 0;
            o["maintainer_can_modify"] = false;
            if (commits is { } count)
            {
                o["commits"] = count;
            }
        }

        if (IsNewApi(apiVersion))
        {
            o.Remove("merge_commit_sha");
            o.Remove("assignee");
        }

        return o;
    }

    public JsonObject Review(RepositoryRecord repository, ReviewRecord review)
    {
        var api = RepositoryApi(repository);
        var number = review.PullRequest.ToString(CultureInfo.InvariantCulture);
        var html = $"{Urls.Web}/{repository.FullName}/pull/{number}#pullrequestreview-{Id(review.Id)}";
        var pullUrl = $"{api}/pulls/{number}";
        var o = new JsonObject
        {
            ["id"] = review.Id,
            ["node_id"] = NodeId("PullRequestReview", Id(review.Id)),
            ["user"] = User(review.Seed.User),
            ["body"] = review.Seed.Body,
            ["state"] = review.Seed.State,
            ["html_url"] = html,
            ["pull_request_url"] = pullUrl,
            ["_links"] = new JsonObject { ["html"] = Href(html), ["pull_request"] = Href(pullUrl) },
        };

        // A pending review has not been submitted: GitHub leaves the field out.
        if (review.SubmittedAt is { } submitted)
        {
            o["submitted_at"] = Timestamp(submitted);
        }

        o["commit_id"] = review.Seed.CommitId;
        o["author_association"] = AuthorAssociation(repository, review.Seed.User);
        return o;
    }

    /// <summary>A commit as <c>pulls/{n}/commits</c> and <c>compare</c> list it; GitHub users only for mapped emails, else null.</summary>
    public JsonObject Commit(RepositoryRecord repository, GitCommitInfo commit)
    {
        var api = RepositoryApi(repository);
        return new JsonObject
        {
            ["url"] = $"{api}/commits/{commit.Sha}",
            ["sha"] = commit.Sha,
            ["node_id"] = NodeId("Commit", $"{Id(repository.Id)}:{commit.Sha}"),
            ["html_url"] = $"{Urls.Web}/{repository.FullName}/commit/{commit.Sha}",
            ["comments_url"] = $"{api}/commits/{commit.Sha}/comments",
            ["commit"] = new JsonObject
            {
                ["url"] = $"{api}/git/commits/{commit.Sha}",
                ["author"] = Signature(commit.Author),
                ["committer"] = Signature(commit.Committer),
                ["message"] = commit.Message,
                ["tree"] = new JsonObject { ["url"] = $"{api}/git/trees/{commit.Tree}", ["sha"] = commit.Tree },
                ["comment_count"] = 0,
                ["verification"] = new JsonObject
                {
                    ["verified"] = false,
                    ["reason"] = "unsigned",
                    ["signature"] = null,
                    ["payload"] = null,
                    ["verified_at"] = null,
                },
            },
            ["author"] = UserOrNull(services.State.LoginForEmail(commit.Author.Email)),
            ["committer"] = UserOrNull(services.State.LoginForEmail(commit.Committer.Email)),
            ["parents"] = new JsonArray([.. commit.Parents.Select(parent => (JsonNode)new JsonObject
            {
                ["url"] = $"{api}/commits/{parent}",
                ["sha"] = parent,
            })]),
        };
    }

    /// <summary>
    /// The combined status of <paramref name="sha"/> (<c>combined-commit-status</c>): <paramref name="state"/> and
    /// <paramref name="totalCount"/> over every context, <paramref name="statuses"/> the page being answered.
    /// </summary>
    public JsonObject CombinedStatus(RepositoryRecord repository, string sha, string state, IReadOnlyList<StatusRecord> statuses, int totalCount)
    {
        var api = RepositoryApi(repository);
        return new JsonObject
        {
            ["state"] = state,
            ["statuses"] = new JsonArray([.. statuses.Select(status => (JsonNode)Status(repository, status))]),
            ["sha"] = sha,
            ["total_count"] = totalCount,
            ["repository"] = MinimalRepository(repository),
            ["commit_url"] = $"{api}/commits/{sha}",
            ["url"] = $"{api}/commits/{sha}/status",
        };
    }

    /// <summary>
    /// A commit status (<c>simple-commit-status</c>). Its creator is not recorded, so <c>avatar_url</c>, which
    /// GitHub's schema allows to be null, is null.
    /// </summary>
    public JsonObject Status(RepositoryRecord repository, StatusRecord status) => new()
    {
        ["url"] = $"{RepositoryApi(repository)}/statuses/{status.Sha}",
        ["avatar_url"] = null,
        ["id"] = status.Id,
        ["node_id"] = NodeId("Status", Id(status.Id)),
        ["state"] = status.State,
        ["description"] = status.Description,
        ["target_url"] = status.TargetUrl,
        ["context"] = status.Context,
        ["created_at"] = Timestamp(status.CreatedAt),
        ["updated_at"] = Timestamp(status.CreatedAt),
    };

    /// <summary>
    /// A check run (<c>check-run</c>) created by the GitHub Actions app. There are no check suites, output or
    /// annotations in the emulator: <c>check_suite</c> is left out and the output is empty.
    /// </summary>
    public JsonObject CheckRun(RepositoryRecord repository, CheckRunRecord run)
    {
        var api = RepositoryApi(repository);
        var id = Id(run.Id);
        var html = $"{Urls.Web}/{repository.FullName}/runs/{id}";
        return new JsonObject
        {
            ["id"] = run.Id,
            ["head_sha"] = run.HeadSha,
            ["node_id"] = NodeId("CheckRun", id),
            ["external_id"] = "",
            ["url"] = $"{api}/check-runs/{id}",
            ["html_url"] = html,
            ["details_url"] = html,
            ["status"] = run.Status,
            ["conclusion"] = run.Conclusion,
            ["started_at"] = Timestamp(run.StartedAt),
            ["completed_at"] = Timestamp(run.CompletedAt),
            ["output"] = new JsonObject
            {
                ["title"] = null,
                ["summary"] = null,
                ["text"] = null,
                ["annotations_count"] = 0,
                ["annotations_url"] = $"{api}/check-runs/{id}/annotations",
            },
            ["name"] = run.Name,
            ["app"] = GitHubActionsApp(),
            ["pull_requests"] = new JsonArray(),
        };
    }

    /// <summary>
    /// A workflow run in the official example's shape. <paramref name="listed"/> is the shape of list answers, whose
    /// example has no <c>referenced_workflows</c> and <c>previous_attempt_url</c>. Check-suite ids are left out (the
    /// emulator has no check suites) and <c>head_commit</c> is there only when the repository has git data.
    /// </summary>
    public JsonObject WorkflowRun(RepositoryRecord repository, WorkflowRunRecord run, GitCommitInfo? headCommit, bool listed)
    {
        var api = RepositoryApi(repository);
        var id = Id(run.Id);
        var self = $"{api}/actions/runs/{id}";
        var actor = User(run.Actor);
        var o = new JsonObject
        {
            ["id"] = run.Id,
            ["name"] = run.Workflow.Name,
            ["node_id"] = NodeId("WorkflowRun", id),
            ["head_branch"] = run.HeadBranch,
            ["head_sha"] = run.HeadSha,
            ["path"] = run.Workflow.Path,
            ["run_number"] = run.RunNumber,
            ["event"] = "workflow_dispatch",
            ["display_title"] = run.DisplayTitle,
            ["status"] = run.Status,
            ["conclusion"] = run.Conclusion,
            ["workflow_id"] = run.Workflow.Id,
            ["url"] = self,
            ["html_url"] = WorkflowRunHtmlUrl(repository, run.Id),
            ["pull_requests"] = new JsonArray(),
            ["created_at"] = Timestamp(run.CreatedAt),
            ["updated_at"] = Timestamp(run.UpdatedAt),
            ["actor"] = actor,
            ["run_attempt"] = 1,
        };
        if (!listed)
        {
            o["referenced_workflows"] = new JsonArray();
        }

        o["run_started_at"] = Timestamp(run.CreatedAt);
        o["triggering_actor"] = actor.DeepClone();
        o["jobs_url"] = $"{self}/jobs";
        o["logs_url"] = $"{self}/logs";
        o["artifacts_url"] = $"{self}/artifacts";
        o["cancel_url"] = $"{self}/cancel";
        o["rerun_url"] = $"{self}/rerun";
        if (!listed)
        {
            // The first attempt has none.
            o["previous_attempt_url"] = null;
        }

        o["workflow_url"] = $"{api}/actions/workflows/{Id(run.Workflow.Id)}";
        if (headCommit is not null)
        {
            o["head_commit"] = new JsonObject
            {
                ["id"] = headCommit.Sha,
                ["tree_id"] = headCommit.Tree,
                ["message"] = headCommit.Message,
                ["timestamp"] = Timestamp(headCommit.Committer.Date),
                ["author"] = new JsonObject { ["name"] = headCommit.Author.Name, ["email"] = headCommit.Author.Email },
                ["committer"] = new JsonObject { ["name"] = headCommit.Committer.Name, ["email"] = headCommit.Committer.Email },
            };
        }

        o["repository"] = MinimalRepository(repository);
        o["head_repository"] = MinimalRepository(repository);
        return o;
    }

    /// <summary>Where a run is shown on the web, in the emulator's html_url convention (web root, then the repository).</summary>
    public string WorkflowRunHtmlUrl(RepositoryRecord repository, long runId) => $"{Urls.Web}/{repository.FullName}/actions/runs/{Id(runId)}";

    /// <summary>OWNER, COLLABORATOR (any role but none) or NONE, from what was seeded.</summary>
    public string AuthorAssociation(RepositoryRecord repository, string login)
    {
        if (string.Equals(login, repository.Owner, StringComparison.OrdinalIgnoreCase))
        {
            return "OWNER";
        }

        return services.State.FindPermission(repository.FullName, login) is { } permission && permission != "none" ? "COLLABORATOR" : "NONE";
    }

    public string RepositoryApi(RepositoryRecord repository) => $"{Urls.Api}/repos/{repository.FullName}";

    /// <summary>GitHub's <c>minimal-repository</c> (a workflow run's <c>repository</c>), which has no <c>clone_url</c>.</summary>
    private JsonObject MinimalRepository(RepositoryRecord repository)
    {
        var o = Repository(repository);
        o.Remove("clone_url");
        return o;
    }

    /// <summary>The GitHub Actions app as GitHub shows it (its id, slug and node id are the real ones).</summary>
    private JsonObject GitHubActionsApp()
    {
        const long id = 15368;
        var owner = User("github");
        owner["type"] = "Organization";
        return new JsonObject
        {
            ["id"] = id,
            ["slug"] = "github-actions",
            ["node_id"] = NodeId("Integration", Id(id)),
            ["owner"] = owner,
            ["name"] = "GitHub Actions",
            ["description"] = "Automate your workflow from idea to production",
            ["external_url"] = "https://help.github.com/en/actions",
            ["html_url"] = $"{Urls.Web}/apps/github-actions",
            ["created_at"] = "2018-07-30T09:30:17Z",
            ["updated_at"] = "2019-12-10T19:04:12Z",
        };
    }

    private JsonObject BranchRef(RepositoryRecord repository, string branch, string sha) => new()
    {
        ["label"] = $"{repository.Owner}:{branch}",
        ["ref"] = branch,
        ["sha"] = sha,
        ["user"] = User(repository.Owner),
        ["repo"] = Repository(repository),
    };

    private JsonObject Label(RepositoryRecord repository, string name)
    {
        var id = services.State.LabelId(repository.FullName, name);
        return new JsonObject
        {
            ["id"] = id,
            ["node_id"] = NodeId("Label", Id(id)),
            ["url"] = $"{RepositoryApi(repository)}/labels/{Uri.EscapeDataString(name)}",
            ["name"] = name,
            ["description"] = null,
            ["color"] = "ededed",
            ["default"] = false,
        };
    }

    private static JsonObject Signature(GitSignature signature) => new()
    {
        ["name"] = signature.Name,
        ["email"] = signature.Email,
        ["date"] = Timestamp(signature.Date),
    };

    private static JsonObject Href(string url) => new() { ["href"] = url };

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
