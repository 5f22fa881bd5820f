using DeployGuard.Configuration;
using DeployGuard.Core.Approvals;
using DeployGuard.Core.Checks;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Intents;
using DeployGuard.Core.Ledger;
using DeployGuard.Core.Policy;
using DeployGuard.Git;
using DeployGuard.GitHub;
using DeployGuard.GitHub.Approvals;
using DeployGuard.GitHub.Checks;
using Microsoft.Extensions.Options;

namespace DeployGuard.Controller;

/// <summary>What the checks concluded for one deploy intent (SPEC §4), with one line per check for <c>plan</c>.</summary>
internal abstract record Verdict
{
    /// <summary>One line per check with its verdict, in SPEC §4's order: what <c>plan</c> shows.</summary>
    public IReadOnlyList<string> Checks { get; init; } = [];

    /// <summary>Each reviewer's latest decisive review and whether it counts.</summary>
    public IReadOnlyList<string> Reviewers { get; init; } = [];

    /// <summary>Every check passed: claim and trigger.</summary>
    public sealed record Approved(AppPolicy App, PipelineSpec Pipeline, PullRequestFact? PullRequest, IReadOnlyList<string> ApprovedBy, string Summary) : Verdict
    {
        public bool Rollback { get; init; }

        /// <summary>Application commits between the deployed commit and this one (compare <c>ahead_by</c>); null when unknown.</summary>
        public int? NewCommits { get; init; }

        public bool FreezeOverride { get; init; }
    }

    /// <summary>At least one check failed: recorded with every failing reason, nothing triggered.</summary>
    public sealed record Refused(IReadOnlyList<string> Reasons, PullRequestFact? PullRequest, IReadOnlyList<string> ApprovedBy) : Verdict;

    /// <summary>A check could not be evaluated yet (GitHub unreachable, checks pending, soaking): nothing recorded, judged again next loop.</summary>
    public sealed record Waiting(string Reason) : Verdict;

    /// <summary>Everything else passed, but a freeze window is open: recorded <c>deferred</c>, deployed when it ends if still newest.</summary>
    public sealed record Deferred(string Reason, PullRequestFact? PullRequest, IReadOnlyList<string> ApprovedBy, bool Rollback) : Verdict;
}

/// <summary>The GitHub-side checks, present when the deploy repository is on GitHub.</summary>
internal sealed record GitHubChecks(
    IGitHubClient Client, ApprovalCheck Approvals, CommitExistsCheck CommitExists, ReleaseBranchCheck ReleaseBranch, ChecksGreenCheck ChecksGreen);

/// <summary>
/// Runs SPEC §4's checks for one intent, with the policy at its deploy commit's first parent.
/// Every failing check is reported, not just the first. Fails closed: anything it cannot verify is
/// <see cref="Verdict.Waiting"/>, never approved. Order of precedence: a definite failure refuses;
/// otherwise anything undecided waits; otherwise a freeze defers; otherwise it is approved.
/// </summary>
internal sealed class IntentJudge(
    PolicySource policies, IOptions<DeployGuardOptions> options, ILedger ledger, LocalMirror mirror, DeployLayout layout, TimeProvider time, GitHubChecks? github = null)
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

        if (github is null || options.Value.Repository.GitHub is not { } deployRepository)
        {
            return new Verdict.Waiting("approvals and checks cannot be verified: DeployGuard:Repository:GitHub and a GitHub token are not configured");
        }

        var commit = intent.Commit!;
        var lines = new List<string>();
        var waiting = new List<string>();
        void Take(string name, CheckResult result)
        {
            switch (result)
            {
                case CheckResult.Passed p:
                    lines.Add($"{name}: ok, {p.Summary}");
                    break;
                case CheckResult.Failed f:
                    lines.Add($"{name}: FAILED, {f.Reason}");
                    reasons.Add(f.Reason);
                    break;
                case CheckResult.Pending p:
                    lines.Add($"{name}: waiting, {p.Reason}");
                    waiting.Add(p.Reason);
                    break;
                case CheckResult.CannotVerify c:
                    lines.Add($"{name}: cannot verify, {c.Reason}");
                    waiting.Add(c.Reason);
                    break;
            }
        }

        // 3–4: the commit exists, on the release branch. Checks of a commit that does not exist say nothing.
        var exists = await github.CommitExists.EvaluateAsync(app.Repository, commit, cancellationToken);
        Take("commit exists", exists);
        var known = exists is CheckResult.Passed;
        if (known)
        {
            Take("release branch", await github.ReleaseBranch.EvaluateAsync(app.Repository, app.ReleaseBranch, commit, cancellationToken));
        }

        // Rollback and change risk both come from comparing the deployed commit with the new one.
        var deployed = await DeployedCommitAsync(intent, cancellationToken);
        var (rollback, newCommits) = known ? await CompareAsync(github, app.Repository, deployed, commit, lines, waiting, cancellationToken) : (false, null);
        var extra = RiskRule.ExtraApprovals(rules, newCommits);

        // 1–2: pull request and approvals (with the risk's extra approval).
        // Independent review covers every commit between what runs and what will run.
        var judged = deployed is null ? intent : intent with { PreviousCommit = deployed };
        var outcome = await github.Approvals.EvaluateAsync(new ApprovalRequest(judged, policy, deployRepository, options.Value.Repository.Branch) { ExtraApprovals = extra }, cancellationToken);
        ApprovalDecision? decision = null;
        PullRequestFact? pullRequest = null;
        switch (outcome)
        {
            case ApprovalOutcome.CannotVerify c:
                lines.Add($"approvals: cannot verify, {c.Reason}");
                waiting.Add(c.Reason);
                break;
            case ApprovalOutcome.Decided d:
                (decision, pullRequest) = (d.Decision, d.PullRequest);
                lines.Add(d.Decision.Approved ? $"approvals: ok, {d.Decision.Summary}" : $"approvals: FAILED, {string.Join("; ", d.Decision.Reasons)}");
                reasons.AddRange(d.Decision.Approved ? [] : d.Decision.Reasons);
                break;
        }

        // 5: the app commit's checks.
        if (!rules.RequireChecks)
        {
            lines.Add("checks green: not required");
        }
        else if (known)
        {
            Take("checks green", await github.ChecksGreen.EvaluateAsync(app.Repository, commit, cancellationToken));
        }

        // 6: promotion and soak.
        var promotion = PromotionCheck.Evaluate(intent.Environment, rules, commit, await PromotionHistoryAsync(rules, intent.App, cancellationToken), time.GetUtcNow());
        switch (promotion)
        {
            case CheckOutcome.Passed p:
                lines.Add($"promotion: ok, {p.Summary}");
                break;
            case CheckOutcome.Failed f:
                lines.Add($"promotion: FAILED, {f.Reason}");
                reasons.Add(f.Reason);
                break;
            case CheckOutcome.Waiting w:
                lines.Add($"promotion: waiting, {w.Reason}");
                waiting.Add(w.Reason);
                break;
        }

        var approvedBy = decision?.Reviewers.Where(r => r.Counts).Select(r => r.Reviewer).ToList() ?? [];
        var reviewers = decision?.Reviewers
            .Select(r => r.Counts ? $"{r.Reviewer}: approved, counts"
                : r.State == ReviewState.Approved ? $"{r.Reviewer}: approved, does not count: {r.WhyNot}"
                : $"{r.Reviewer}: {r.WhyNot}")
            .ToList() ?? [];
        if (reasons.Count > 0)
        {
            return new Verdict.Refused(reasons, pullRequest, approvedBy) { Checks = lines, Reviewers = reviewers };
        }

        if (waiting.Count > 0 || decision is null)
        {
            return new Verdict.Waiting(string.Join("; ", waiting)) { Checks = lines, Reviewers = reviewers };
        }

        // 7: freeze windows, last: a frozen deploy is deferred only once everything else holds.
        var labelled = pullRequest?.Labels.Contains(FreezeCheck.OverrideLabel, StringComparer.OrdinalIgnoreCase) == true;
        var freeze = FreezeCheck.Evaluate(intent.Environment, rules, time.GetUtcNow(), labelled, decision.Counted, decision.Required);
        switch (freeze)
        {
            case CheckOutcome.Deferred d:
                lines.Add($"freeze: deferred, {d.Reason}");
                return new Verdict.Deferred(d.Reason, pullRequest, approvedBy, rollback) { Checks = lines, Reviewers = reviewers };
            case CheckOutcome.Passed p:
                lines.Add($"freeze: {(p.Override ? "OVERRIDDEN" : "ok")}, {p.Summary}");
                return new Verdict.Approved(app, app.PipelineFor(intent.Environment), pullRequest, approvedBy, decision.Summary)
                {
                    Checks = lines, Reviewers = reviewers, Rollback = rollback, NewCommits = newCommits, FreezeOverride = p.Override,
                };
            default:
                throw new InvalidOperationException($"unexpected freeze outcome {freeze}");
        }
    }

    /// <summary>
    /// SPEC §4 step 8 and the change risk: compare the deployed commit with the new one. A new
    /// commit behind the deployed one is a rollback (allowed, flagged); ahead_by counts the risk.
    /// </summary>
    private static async Task<(bool Rollback, int? NewCommits)> CompareAsync(
        GitHubChecks github, string repository, string? deployed, string commit, List<string> lines, List<string> waiting, CancellationToken cancellationToken)
    {
        if (deployed is null || string.Equals(deployed, commit, StringComparison.OrdinalIgnoreCase))
        {
            lines.Add(deployed is null ? "rollback/risk: first deploy of this app here" : "rollback/risk: redeploy of the deployed commit");
            return (false, null);
        }

        try
        {
            var comparison = await github.Client.CompareAsync(repository, deployed, commit, cancellationToken);
            var rollback = RollbackRule.IsRollback(comparison.Status);
            lines.Add(rollback
                ? $"rollback: yes, {RollbackRule.Summary(commit, deployed)}"
                : $"risk: {comparison.AheadBy} new commit(s) since {CommitHash.Abbreviate(deployed)}");
            return (rollback, rollback ? 0 : comparison.AheadBy);
        }
        catch (GitHubNotFoundException)
        {
            // The deployed commit is gone from the app repository (force-pushed away): the size of
            // the change is unknown, which adds no approval, and it cannot be a rollback to it.
            lines.Add($"risk: unknown, the deployed commit {CommitHash.Abbreviate(deployed)} is not in {repository}");
            return (false, null);
        }
        catch (GitHubException ex)
        {
            lines.Add($"rollback/risk: cannot verify, {ex.Message}");
            waiting.Add($"cannot compare with the deployed commit: {ex.Message}");
            return (false, null);
        }
    }

    /// <summary>
    /// The commit actually running in this environment for this app: the last that succeeded per
    /// the ledger. With no success recorded yet, it is what the deploy file named before the first
    /// recorded change (the baseline's content), never a commit that was refused, superseded or
    /// failed: otherwise a refused big jump followed by one more commit would look small.
    /// </summary>
    private async Task<string?> DeployedCommitAsync(DeployIntent intent, CancellationToken cancellationToken)
    {
        LedgerEntry? oldest = null;
        await foreach (var (_, entry) in ledger.HistoryAsync(mirror.BranchRef, layout.PathOf(intent.Environment, intent.App), cancellationToken))
        {
            if (entry.Environment != intent.Environment || entry.App != intent.App || entry.DeployId == intent.DeployId)
            {
                continue;
            }

            if (entry.Status == DeployStatus.Succeeded && entry.Commit is not null)
            {
                return entry.Commit;
            }

            oldest = entry;
        }

        return oldest is null ? intent.PreviousCommit : oldest.PreviousCommit;
    }

    private async Task<List<LedgerEntry>> PromotionHistoryAsync(EffectiveRules rules, string app, CancellationToken cancellationToken)
    {
        var entries = new List<LedgerEntry>();
        if (rules.PromoteFrom is not { } from)
        {
            return entries;
        }

        await foreach (var (_, entry) in ledger.HistoryAsync(mirror.BranchRef, layout.PathOf(from, app), cancellationToken))
        {
            if (entry.Environment == from && entry.App == app)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }
}
