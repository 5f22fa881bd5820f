using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Policy;

namespace DeployGuard.Core.Approvals;

public enum ReviewState
{
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

/// <summary>A reviewer's access to the deploy repository; write or more is needed for an approval to count.</summary>
public enum AccessLevel
{
    None,
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

/// <summary>The merged pull request that made a deploy commit.</summary>
public sealed record PullRequestFact(int Number, string Author, string HeadSha, IReadOnlyList<string> Labels);

/// <summary>One review as GitHub lists it, in chronological order.</summary>
public sealed record ReviewFact(string Reviewer, ReviewState State, string? CommitId);

/// <summary>Everything approval evaluation needs, gathered beforehand (SPEC §4 steps 1–2).</summary>
public sealed record ApprovalFacts
{
    public required EffectiveRules Rules { get; init; }

    /// <summary>The policy's admins (users and @org/teams); needed when the change touches the policy.</summary>
    public IReadOnlyList<string> Admins { get; init; } = [];

    public bool ChangesPolicy { get; init; }

    /// <summary>Null when no merged pull request made the deploy commit (a direct push).</summary>
    public PullRequestFact? PullRequest { get; init; }

    public IReadOnlyList<ReviewFact> Reviews { get; init; } = [];

    /// <summary>Access of each approver (login, any case); an approver missing here has no confirmed access.</summary>
    public IReadOnlyDictionary<string, AccessLevel> Access { get; init; } = new Dictionary<string, AccessLevel>();

    /// <summary>For each team (<c>@org/team</c>), the approvers known to be active members.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> TeamMembers { get; init; } = new Dictionary<string, IReadOnlySet<string>>();

    /// <summary>Logins of the authors of the application commits being deployed (for <c>independent_review</c>).</summary>
    public IReadOnlySet<string> CommitAuthors { get; init; } = new HashSet<string>();

    /// <summary>
    /// True when not every deployed commit's author is known as a GitHub user (too many commits to
    /// list, or an author email linked to no account): independent review cannot be confirmed.
    /// </summary>
    public bool CommitAuthorsIncomplete { get; init; }

    /// <summary>Approvals required on top of <c>min_approvals</c> (change risk, freeze override).</summary>
    public int ExtraApprovals { get; init; }
}

/// <summary>What became of one reviewer's latest decisive review.</summary>
public sealed record ReviewerVerdict(string Reviewer, ReviewState State, bool Counts, string? WhyNot);

/// <summary>The approval decision with every reason, never just the first.</summary>
public sealed record ApprovalDecision(bool Approved, int Required, int Counted, IReadOnlyList<ReviewerVerdict> Reviewers, IReadOnlyList<string> Reasons)
{
    /// <summary>"2 of 2 approvals" or "1 of 2 approvals": for logs, plan and the PR status.</summary>
    public string Summary => $"{Counted} of {Required} approval{(Required == 1 ? "" : "s")}";
}

/// <summary>
/// Decides whether a deploy was properly reviewed. Pure: a function of the facts, so every rule
/// is a table test. Fails closed: an approval counts only when every condition is confirmed.
/// </summary>
public static class ApprovalEvaluator
{
    public const string DirectPush = "direct push without review: no merged pull request made this commit";

    public static ApprovalDecision Evaluate(ApprovalFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var rules = facts.Rules;
        var required = rules.MinApprovals + facts.ExtraApprovals;
        var reasons = new List<string>();

        if (facts.PullRequest is not { } pr)
        {
            if (rules.RequirePullRequest)
            {
                reasons.Add(DirectPush);
            }

            // Without a pull request nobody could approve: allowed only where the policy says no PR is needed.
            return new ApprovalDecision(reasons.Count == 0, rules.RequirePullRequest ? required : 0, 0, [], reasons);
        }

        var verdicts = LatestDecisive(facts.Reviews)
            .Select(r => Judge(r, pr, facts))
            .ToList();
        var counting = verdicts.Where(v => v.Counts).Select(v => v.Reviewer).ToList();

        foreach (var blocked in verdicts.Where(v => v.State == ReviewState.ChangesRequested))
        {
            reasons.Add($"changes requested by {blocked.Reviewer} are outstanding");
        }

        if (counting.Count < required)
        {
            var extra = facts.ExtraApprovals > 0 ? $" (min_approvals {rules.MinApprovals} + {facts.ExtraApprovals} extra)" : "";
            reasons.Add($"{counting.Count} of {required} required approvals{extra}");
        }

        foreach (var entry in rules.RequiredReviewers)
        {
            if (!counting.Any(login => Satisfies(entry, login, facts)))
            {
                reasons.Add($"no counting approval from {entry} (required reviewer)");
            }
        }

        if (rules.IndependentReview && facts.CommitAuthorsIncomplete)
        {
            reasons.Add("independent review cannot be confirmed: not every deployed commit's author is a known GitHub user");
        }

        if (facts.ChangesPolicy)
        {
            if (facts.Admins.Count == 0)
            {
                reasons.Add($"the change edits {DeployLayout.PolicyFileName}, which needs an admin's approval, but the policy names no admins");
            }
            else if (!counting.Any(login => facts.Admins.Any(admin => Satisfies(admin, login, facts))))
            {
                reasons.Add($"the change edits {DeployLayout.PolicyFileName}: it needs an approval from one of the admins ({string.Join(", ", facts.Admins)})");
            }
        }

        return new ApprovalDecision(reasons.Count == 0, required, counting.Count, verdicts, reasons);
    }

    /// <summary>
    /// The reviewers whose approval could count before access, teams and authorship are known:
    /// their latest decision is an approval, they are not the author (unless allowed) and the
    /// approval is not stale. Only these are worth asking GitHub about.
    /// </summary>
    public static IReadOnlyList<string> CandidateApprovers(IReadOnlyList<ReviewFact> reviews, PullRequestFact pullRequest, EffectiveRules rules)
    {
        ArgumentNullException.ThrowIfNull(pullRequest);
        ArgumentNullException.ThrowIfNull(rules);
        return LatestDecisive(reviews)
            .Where(r => r.State == ReviewState.Approved)
            .Where(r => rules.AllowSelfApproval || !Same(r.Reviewer, pullRequest.Author))
            .Where(r => !rules.DismissStaleApprovals || string.Equals(r.CommitId, pullRequest.HeadSha, StringComparison.OrdinalIgnoreCase))
            .Select(r => r.Reviewer)
            .ToList();
    }

    /// <summary>
    /// Each reviewer's latest APPROVED, CHANGES_REQUESTED or DISMISSED review; a later COMMENTED
    /// (or a pending one) does not override an earlier decision.
    /// </summary>
    private static List<ReviewFact> LatestDecisive(IReadOnlyList<ReviewFact> reviews)
    {
        var latest = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < reviews.Count; i++)
        {
            if (reviews[i].State is ReviewState.Approved or ReviewState.ChangesRequested or ReviewState.Dismissed)
            {
                latest[reviews[i].Reviewer] = i;
            }
        }

        // In the order the decisions were made, so plan and logs read chronologically.
        return latest.Values.Order().Select(i => reviews[i]).ToList();
    }

    private static ReviewerVerdict Judge(ReviewFact review, PullRequestFact pr, ApprovalFacts facts)
    {
        if (review.State != ReviewState.Approved)
        {
            var why = review.State == ReviewState.Dismissed ? "review was dismissed" : "requested changes";
            return new ReviewerVerdict(review.Reviewer, review.State, false, why);
        }

        var rules = facts.Rules;
        string? whyNot = null;
        if (!rules.AllowSelfApproval && Same(review.Reviewer, pr.Author))
        {
            whyNot = "is the pull request's author";
        }
        else if (rules.DismissStaleApprovals && !string.Equals(review.CommitId, pr.HeadSha, StringComparison.OrdinalIgnoreCase))
        {
            whyNot = $"approved {CommitHash.Abbreviate(review.CommitId ?? "an unknown commit")}, not the final head {CommitHash.Abbreviate(pr.HeadSha)} (stale)";
        }
        else if (!HasWriteAccess(review.Reviewer, facts))
        {
            whyNot = "has no write access to the deploy repository";
        }
        else if (rules.IndependentReview && facts.CommitAuthors.Contains(review.Reviewer, StringComparer.OrdinalIgnoreCase))
        {
            whyNot = "authored commits being deployed (independent review)";
        }

        return new ReviewerVerdict(review.Reviewer, review.State, whyNot is null, whyNot);
    }

    private static bool HasWriteAccess(string login, ApprovalFacts facts) =>
        facts.Access.FirstOrDefault(a => Same(a.Key, login)) is { Key: not null } found && found.Value >= AccessLevel.Write;

    /// <summary>Does an approval by <paramref name="login"/> satisfy a user or <c>@org/team</c> entry?</summary>
    private static bool Satisfies(string entry, string login, ApprovalFacts facts)
    {
        if (!entry.StartsWith('@'))
        {
            return Same(entry, login);
        }

        return facts.TeamMembers.FirstOrDefault(t => Same(t.Key, entry)) is { Key: not null } team &&
               team.Value.Contains(login, StringComparer.OrdinalIgnoreCase);
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
