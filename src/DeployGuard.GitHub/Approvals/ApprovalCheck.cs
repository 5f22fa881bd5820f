using DeployGuard.Core.Approvals;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Policy;
using Microsoft.Extensions.Logging;

namespace DeployGuard.GitHub.Approvals;

/// <summary>What the approval check concluded for one intent.</summary>
public abstract record ApprovalOutcome
{
    /// <summary>GitHub answered everything: the decision stands (approved or refused with reasons).</summary>
    public sealed record Decided(ApprovalDecision Decision, PullRequestFact? PullRequest) : ApprovalOutcome;

    /// <summary>
    /// GitHub could not be asked (unreachable, rate-limited, 5xx, no permission): nothing is
    /// triggered and nothing is recorded; the intent waits for the next loop (SPEC §4).
    /// </summary>
    public sealed record CannotVerify(string Reason) : ApprovalOutcome;
}

/// <summary>One intent to judge, with the policy at its deploy commit's first parent.</summary>
public sealed record ApprovalRequest(DeployIntent Intent, DeployPolicy Policy, string DeployRepository, string WatchedBranch)
{
    /// <summary>Approvals required on top of <c>min_approvals</c> (risk, freeze override).</summary>
    public int ExtraApprovals { get; init; }
}

/// <summary>
/// Gathers the facts of SPEC §4 steps 1–2 from GitHub and hands them to the pure
/// <see cref="ApprovalEvaluator"/>. Fails closed: any GitHub error is "cannot verify", never an
/// approval. It asks only what the decision needs: the access of approvals that could still count,
/// team membership only for teams the rules name, commit authors only for independent review.
/// </summary>
public sealed class ApprovalCheck(IGitHubClient github, ILogger<ApprovalCheck> logger)
{
    public async Task<ApprovalOutcome> EvaluateAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var intent = request.Intent;
        var rules = request.Policy.RulesFor(intent.Environment)
                    ?? throw new ArgumentException($"environment '{intent.Environment}' is not in the policy", nameof(request));
        try
        {
            var pullRequest = await FindMergedPullRequestAsync(request, cancellationToken);
            var facts = new ApprovalFacts
            {
                Rules = rules,
                Admins = request.Policy.Admins,
                ChangesPolicy = intent.ChangesPolicy,
                PullRequest = pullRequest,
                ExtraApprovals = request.ExtraApprovals,
            };

            if (pullRequest is not null)
            {
                facts = await WithReviewsAsync(facts, request, pullRequest, rules, cancellationToken);
            }

            var decision = ApprovalEvaluator.Evaluate(facts);
            logger.LogInformation("Approvals for {DeployId}: {Counted} of {Required}, approved {Approved}", intent.DeployId, decision.Counted, decision.Required, decision.Approved);
            return new ApprovalOutcome.Decided(decision, pullRequest);
        }
        catch (GitHubException ex)
        {
            logger.LogWarning("Cannot verify approvals for {DeployId}: {Reason}", intent.DeployId, ex.Message);
            return new ApprovalOutcome.CannotVerify($"cannot verify approvals: {ex.Message}");
        }
    }

    /// <summary>
    /// The pull request merged into the watched branch that produced the deploy commit: for merge
    /// and squash merges its <c>merge_commit_sha</c> is the deploy commit; for rebase merges the
    /// commit is one of the rebased copies GitHub associates with it. A PR merged into another
    /// branch, or closed unmerged, is no review of this commit.
    /// </summary>
    private async Task<PullRequestFact?> FindMergedPullRequestAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        var commit = request.Intent.DeployCommit;
        var candidates = (await github.ListPullRequestsForCommitAsync(request.DeployRepository, commit, cancellationToken))
            .Where(p => p.MergedAt is not null && string.Equals(p.Base.Ref, request.WatchedBranch, StringComparison.Ordinal))
            .OrderByDescending(p => string.Equals(p.MergeCommitSha, commit, StringComparison.OrdinalIgnoreCase))
            .ThenByDescending(p => p.MergedAt)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var pr = candidates[0];
        return new PullRequestFact(pr.Number, pr.User?.Login ?? "", pr.Head.Sha, pr.Labels?.Select(l => l.Name).ToList() ?? []);
    }

    private async Task<ApprovalFacts> WithReviewsAsync(
        ApprovalFacts facts, ApprovalRequest request, PullRequestFact pullRequest, EffectiveRules rules, CancellationToken cancellationToken)
    {
        var reviews = (await github.ListReviewsAsync(request.DeployRepository, pullRequest.Number, cancellationToken))
            .Where(r => r.User is not null) // a deleted account ("ghost") approves nothing
            .Select(r => new ReviewFact(r.User!.Login, ParseState(r.State), r.CommitId))
            .ToList();

        var candidates = ApprovalEvaluator.CandidateApprovers(reviews, pullRequest, rules);
        var access = new Dictionary<string, AccessLevel>(StringComparer.OrdinalIgnoreCase);
        foreach (var login in candidates)
        {
            access[login] = ParseAccess(await github.GetCollaboratorAccessAsync(request.DeployRepository, login, cancellationToken));
        }

        var writers = candidates.Where(l => access[l] >= AccessLevel.Write).ToList();
        var teams = rules.RequiredReviewers.Concat(facts.ChangesPolicy ? request.Policy.Admins : [])
            .Where(p => p.StartsWith('@'))
            .Distinct(StringComparer.OrdinalIgnoreCase);
        var members = new Dictionary<string, IReadOnlySet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var team in teams)
        {
            members[team] = await TeamMembersAmongAsync(team, writers, cancellationToken);
        }

        var (authors, incomplete) = rules.IndependentReview && writers.Count > 0
            ? await CommitAuthorsAsync(request, cancellationToken)
            : (new HashSet<string>(), false);

        return facts with
        {
            Reviews = reviews,
            Access = access,
            TeamMembers = members,
            CommitAuthors = authors,
            CommitAuthorsIncomplete = incomplete,
        };
    }

    /// <summary>The approvers who are active members of <c>@org/team</c>; stops at the first, which is all a rule needs.</summary>
    private async Task<IReadOnlySet<string>> TeamMembersAmongAsync(string team, List<string> approvers, CancellationToken cancellationToken)
    {
        var slash = team.IndexOf('/', StringComparison.Ordinal);
        var (org, slug) = (team[1..slash], team[(slash + 1)..]);
        var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var login in approvers)
        {
            var membership = await github.GetTeamMembershipAsync(org, slug, login, cancellationToken);
            if (membership is { State: "active" })
            {
                found.Add(login);
                break;
            }
        }

        return found;
    }

    /// <summary>
    /// The GitHub logins of the authors of the application commits between the deployed commit and
    /// the new one. Incomplete (fail closed) when GitHub lists fewer commits than there are or an
    /// author is not linked to an account: such an author could be one of the approvers.
    /// </summary>
    private async Task<(IReadOnlySet<string> Authors, bool Incomplete)> CommitAuthorsAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        var intent = request.Intent;
        if (intent.Commit is null || intent.PreviousCommit is null || !request.Policy.Apps.TryGetValue(intent.App, out var app))
        {
            // First deploy of the app here: there is no "previously deployed" to compare with.
            return (new HashSet<string>(), false);
        }

        var comparison = await github.CompareAsync(app.Repository, intent.PreviousCommit, intent.Commit, cancellationToken);
        var authors = comparison.Commits.Select(c => c.Author?.Login).ToList();
        var incomplete = comparison.TotalCommits > comparison.Commits.Count || authors.Any(a => a is null);
        return (authors.OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase), incomplete);
    }

    private static ReviewState ParseState(string state) => state switch
    {
        "APPROVED" => ReviewState.Approved,
        "CHANGES_REQUESTED" => ReviewState.ChangesRequested,
        "DISMISSED" => ReviewState.Dismissed,
        "COMMENTED" => ReviewState.Commented,
        // PENDING and anything new GitHub may add decide nothing.
        _ => ReviewState.Pending,
    };

    /// <summary>GitHub's <c>role_name</c> is the precise role; <c>permission</c> folds maintain into write and triage into read.</summary>
    private static AccessLevel ParseAccess(CollaboratorAccess? access) => (access?.RoleName ?? access?.Permission) switch
    {
        "admin" => AccessLevel.Admin,
        "maintain" => AccessLevel.Maintain,
        "write" or "push" => AccessLevel.Write,
        "triage" => AccessLevel.Triage,
        "read" or "pull" => AccessLevel.Read,
        _ => ParseFallback(access?.Permission),
    };

    private static AccessLevel ParseFallback(string? permission) => permission switch
    {
        "admin" => AccessLevel.Admin,
        "write" => AccessLevel.Write,
        "read" => AccessLevel.Read,
        _ => AccessLevel.None,
    };
}
