using DeployGuard.Configuration;
using DeployGuard.Core.Approvals;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Policy;
using DeployGuard.GitHub.Approvals;
using DeployGuard.GitHub.Checks;
using Microsoft.Extensions.Options;

namespace DeployGuard.Controller;

/// <summary>What the checks concluded for one deploy intent (SPEC §4).</summary>
internal abstract record Verdict
{
    /// <summary>Every check passed: claim and trigger.</summary>
    public sealed record Approved(AppPolicy App, PipelineSpec Pipeline, PullRequestFact? PullRequest, IReadOnlyList<string> ApprovedBy, string Summary) : Verdict;

    /// <summary>At least one check failed: recorded with every failing reason, nothing triggered.</summary>
    public sealed record Refused(IReadOnlyList<string> Reasons, PullRequestFact? PullRequest, IReadOnlyList<string> ApprovedBy) : Verdict;

    /// <summary>A check could not be evaluated (GitHub unreachable): nothing recorded, judged again next loop.</summary>
    public sealed record Waiting(string Reason) : Verdict;

    /// <summary>Everything else passed, but a freeze window is open: recorded <c>deferred</c>, deployed when it ends if still newest.</summary>
    public sealed record Deferred(string Reason, PullRequestFact? PullRequest, IReadOnlyList<string> ApprovedBy, bool Rollback) : Verdict;
}

/// <summary>
/// Runs the checks for one intent with the policy at its deploy commit's first parent. Fails
/// closed: anything it cannot verify is <see cref="Verdict.Waiting"/>, never approved.
/// </summary>
internal sealed class IntentJudge(PolicySource policies, IOptions<DeployGuardOptions> options, ApprovalCheck? approvals = null, ReleaseBranchCheck? releaseBranch = null)
{
    public async Task<Verdict> JudgeAsync(DeployIntent intent, CancellationToken cancellationToken)
    {
        var lookup = await policies.AtAsync(intent.PolicyCommit, cancellationToken);
        if (lookup.Policy is not { } policy)
        {
            return new Verdict.Refused([lookup.Problem ?? "no policy"], null, []);
        }

        var reasons = new List<string>();
        var rules = policy.RulesFor(intent.Environment);
        if (rules is null)
        {
            reasons.Add($"environment '{intent.Environment}' is not in {policies.PolicyPath}");
        }

        if (!policy.Apps.TryGetValue(intent.App, out var app))
        {
            reasons.Add($"app '{intent.App}' is not in {policies.PolicyPath}");
        }

        if (rules is null || app is null)
        {
            return new Verdict.Refused(reasons, null, []);
        }

        var (decision, pullRequest, waiting) = await ApprovalsAsync(intent, policy, rules, cancellationToken);
        if (waiting is not null)
        {
            return new Verdict.Waiting(waiting);
        }

        var release = await ReleaseBranchAsync(app, intent.Commit!, cancellationToken);
        switch (release)
        {
            case CheckResult.CannotVerify c:
                return new Verdict.Waiting(c.Reason);
            case CheckResult.Failed f:
                reasons.Add(f.Reason);
                break;
        }

        var approvedBy = decision!.Reviewers.Where(r => r.Counts).Select(r => r.Reviewer).ToList();
        if (!decision.Approved)
        {
            reasons.AddRange(decision.Reasons);
        }

        return reasons.Count > 0
            ? new Verdict.Refused(reasons, pullRequest, approvedBy)
            : new Verdict.Approved(app, app.PipelineFor(intent.Environment), pullRequest, approvedBy, decision.Summary);
    }

    private async Task<CheckResult> ReleaseBranchAsync(AppPolicy app, string commit, CancellationToken cancellationToken) =>
        releaseBranch is null || options.Value.Repository.GitHub is null
            ? new CheckResult.CannotVerify("the release branch cannot be checked: DeployGuard:Repository:GitHub and a GitHub token are not configured")
            : await releaseBranch.EvaluateAsync(app.Repository, app.ReleaseBranch, commit, cancellationToken);

    private async Task<(ApprovalDecision? Decision, PullRequestFact? PullRequest, string? Waiting)> ApprovalsAsync(
        DeployIntent intent, DeployPolicy policy, EffectiveRules rules, CancellationToken cancellationToken)
    {
        var repository = options.Value.Repository;
        if (approvals is null || repository.GitHub is not { } github)
        {
            // Without GitHub only a policy that asks for no review at all can pass; anything else
            // cannot be verified, so it waits for the configuration instead of deploying.
            var local = ApprovalEvaluator.Evaluate(new ApprovalFacts { Rules = rules, Admins = policy.Admins, ChangesPolicy = intent.ChangesPolicy });
            return local.Approved
                ? (local, null, null)
                : (null, null, "approvals cannot be verified: DeployGuard:Repository:GitHub and a GitHub token are not configured");
        }

        var outcome = await approvals.EvaluateAsync(new ApprovalRequest(intent, policy, github, repository.Branch), cancellationToken);
        return outcome switch
        {
            ApprovalOutcome.CannotVerify c => (null, null, c.Reason),
            ApprovalOutcome.Decided d => (d.Decision, d.PullRequest, null),
            _ => throw new InvalidOperationException($"unknown approval outcome {outcome}"),
        };
    }
}
