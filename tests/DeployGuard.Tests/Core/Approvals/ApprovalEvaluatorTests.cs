using DeployGuard.Core.Approvals;
using DeployGuard.Core.Policy;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Core.Approvals;

/// <summary>SPEC §4 steps 1–2 as tables: each row names the rule it proves.</summary>
public sealed class ApprovalEvaluatorTests
{
    private static readonly string Head = Hashes.Sha1("head");
    private static readonly string Older = Hashes.Sha1("older");

    private static EffectiveRules Rules(Func<EnvironmentRules, EnvironmentRules>? change = null) =>
        new DeployPolicy { Environments = new Dictionary<string, EnvironmentRules> { ["production"] = (change ?? (r => r))(new EnvironmentRules()) } }
            .RulesFor("production")!;

    private static ApprovalFacts Facts(
        Func<EnvironmentRules, EnvironmentRules>? rules = null,
        ReviewFact[]? reviews = null,
        string author = "carol",
        Dictionary<string, AccessLevel>? access = null) => new()
    {
        Rules = Rules(rules),
        PullRequest = new PullRequestFact(42, author, Head, []),
        Reviews = reviews ?? [],
        Access = access ?? new Dictionary<string, AccessLevel>
        {
            ["alice"] = AccessLevel.Write, ["bob"] = AccessLevel.Admin, ["carol"] = AccessLevel.Write,
            ["dave"] = AccessLevel.Maintain, ["erin"] = AccessLevel.Read,
        },
    };

    private static ReviewFact Approve(string who, string? commit = null) => new(who, ReviewState.Approved, commit ?? Head);

    private static ReviewFact RequestChanges(string who) => new(who, ReviewState.ChangesRequested, Head);

    private static ReviewFact Comment(string who) => new(who, ReviewState.Commented, Head);

    private static ReviewFact Dismissed(string who) => new(who, ReviewState.Dismissed, Head);

    public static TheoryData<string, ApprovalFacts, bool, int, string?> Cases => new()
    {
        // case, facts, approved, counted approvals, a reason that must be given (null: none)
        { "one write approval meets the default min_approvals 1", Facts(reviews: [Approve("alice")]), true, 1, null },
        { "no approval at all is refused", Facts(), false, 0, "0 of 1 required approvals" },
        { "the author's own approval never counts", Facts(reviews: [Approve("carol")]), false, 0, "0 of 1" },
        { "allow_self_approval lets the author's approval count", Facts(r => r with { AllowSelfApproval = true }, [Approve("carol")]), true, 1, null },
        { "an approval of an older head is stale and does not count", Facts(reviews: [Approve("alice", Older)]), false, 0, "0 of 1" },
        { "without dismiss_stale_approvals an older approval counts", Facts(r => r with { DismissStaleApprovals = false }, [Approve("alice", Older)]), true, 1, null },
        { "a dismissed review does not count", Facts(reviews: [Approve("alice"), Dismissed("alice")]), false, 0, "0 of 1" },
        { "outstanding changes requested refuse even with enough approvals", Facts(reviews: [Approve("alice"), RequestChanges("bob")]), false, 1, "changes requested by bob are outstanding" },
        { "a later approval overrides the same reviewer's changes requested", Facts(reviews: [RequestChanges("alice"), Approve("alice")]), true, 1, null },
        { "a later comment does not override an approval", Facts(reviews: [Approve("alice"), Comment("alice")]), true, 1, null },
        { "a later comment does not clear changes requested", Facts(reviews: [Approve("bob"), RequestChanges("alice"), Comment("alice")]), false, 1, "changes requested by alice" },
        { "a reviewer with read access only is ignored", Facts(reviews: [Approve("erin")]), false, 0, "0 of 1" },
        { "a reviewer whose access is unknown is ignored (fail closed)", Facts(reviews: [Approve("zed")]), false, 0, "0 of 1" },
        { "maintain access counts as write", Facts(reviews: [Approve("dave")]), true, 1, null },
        { "min_approvals 2 not met by one approval", Facts(r => r with { MinApprovals = 2 }, [Approve("alice")]), false, 1, "1 of 2 required approvals" },
        { "min_approvals 2 met by two approvals", Facts(r => r with { MinApprovals = 2 }, [Approve("alice"), Approve("bob")]), true, 2, null },
        { "two approvals by the same reviewer count once", Facts(r => r with { MinApprovals = 2 }, [Approve("alice"), Approve("alice")]), false, 1, "1 of 2" },
        { "a required user reviewer who approved satisfies the rule", Facts(r => r with { RequiredReviewers = ["bob"] }, [Approve("bob")]), true, 1, null },
        { "a required user reviewer who did not approve refuses", Facts(r => r with { RequiredReviewers = ["bob"] }, [Approve("alice")]), false, 1, "no counting approval from bob" },
        { "logins compare without case", Facts(r => r with { RequiredReviewers = ["BOB"] }, [Approve("bob")]), true, 1, null },
        { "min_approvals 0 with no review is approved", Facts(r => r with { MinApprovals = 0 }), true, 0, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_AppliesTheRule(string rule, ApprovalFacts facts, bool approved, int counted, string? reason)
    {
        var decision = ApprovalEvaluator.Evaluate(facts);

        decision.Approved.ShouldBe(approved, rule);
        decision.Counted.ShouldBe(counted, rule);
        if (reason is null)
        {
            decision.Reasons.ShouldBeEmpty(rule);
        }
        else
        {
            decision.Reasons.ShouldContain(r => r.Contains(reason, StringComparison.Ordinal), rule);
        }
    }

    public static TheoryData<string, string[], bool> TeamCases => new()
    {
        { "an approver who is an active member of the required team satisfies it", ["bob"], true },
        { "an approver outside the required team does not", ["alice"], false },
    };

    [Theory]
    [MemberData(nameof(TeamCases))]
    public void Evaluate_RequiredTeam(string rule, string[] teamMembers, bool approved)
    {
        var facts = Facts(r => r with { RequiredReviewers = ["@acme/ops"] }, [Approve("bob")]) with
        {
            TeamMembers = new Dictionary<string, IReadOnlySet<string>> { ["@acme/ops"] = teamMembers.ToHashSet() },
        };

        var decision = ApprovalEvaluator.Evaluate(facts);

        decision.Approved.ShouldBe(approved, rule);
        if (!approved)
        {
            decision.Reasons.ShouldContain("no counting approval from @acme/ops (required reviewer)");
        }
    }

    [Fact]
    public void Evaluate_DirectPushWhereAPullRequestIsRequired_IsRefused()
    {
        var decision = ApprovalEvaluator.Evaluate(Facts() with { PullRequest = null });

        decision.Approved.ShouldBeFalse();
        decision.Reasons.ShouldBe([ApprovalEvaluator.DirectPush]);
    }

    [Fact]
    public void Evaluate_DirectPushWhereNoPullRequestIsRequired_IsAllowed()
    {
        var decision = ApprovalEvaluator.Evaluate(Facts(r => r with { RequirePullRequest = false }) with { PullRequest = null });

        decision.Approved.ShouldBeTrue();
    }

    [Fact]
    public void Evaluate_IndependentReview_AnApproverWhoAuthoredADeployedCommitDoesNotCount()
    {
        var facts = Facts(r => r with { IndependentReview = true, MinApprovals = 2 }, [Approve("alice"), Approve("bob")]) with
        {
            CommitAuthors = new HashSet<string> { "Alice", "frank" },
        };

        var decision = ApprovalEvaluator.Evaluate(facts);

        decision.Approved.ShouldBeFalse();
        decision.Counted.ShouldBe(1);
        decision.Reviewers.Single(r => r.Reviewer == "alice").WhyNot.ShouldBe("authored commits being deployed (independent review)");
    }

    [Fact]
    public void Evaluate_WithoutIndependentReview_CommitAuthorsMayApprove()
    {
        var facts = Facts(reviews: [Approve("alice")]) with { CommitAuthors = new HashSet<string> { "alice" } };

        ApprovalEvaluator.Evaluate(facts).Approved.ShouldBeTrue();
    }

    [Theory]
    [InlineData("an admin user approved", "bob", true)]
    [InlineData("only a non-admin approved", "alice", false)]
    public void Evaluate_PolicyChange_NeedsAnAdminApproval(string rule, string approver, bool approved)
    {
        var facts = Facts(reviews: [Approve(approver)]) with { ChangesPolicy = true, Admins = ["bob", "@acme/platform"] };

        var decision = ApprovalEvaluator.Evaluate(facts);

        decision.Approved.ShouldBe(approved, rule);
        if (!approved)
        {
            decision.Reasons.ShouldContain(r => r.Contains("needs an approval from one of the admins (bob, @acme/platform)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Evaluate_PolicyChange_AdminTeamMemberApproval_Counts()
    {
        var facts = Facts(reviews: [Approve("alice")]) with
        {
            ChangesPolicy = true,
            Admins = ["@acme/platform"],
            TeamMembers = new Dictionary<string, IReadOnlySet<string>> { ["@acme/platform"] = new HashSet<string> { "alice" } },
        };

        ApprovalEvaluator.Evaluate(facts).Approved.ShouldBeTrue();
    }

    [Fact]
    public void Evaluate_PolicyChangeWithNoAdminsNamed_IsRefused()
    {
        var facts = Facts(reviews: [Approve("alice")]) with { ChangesPolicy = true };

        ApprovalEvaluator.Evaluate(facts).Reasons.ShouldContain(r => r.Contains("the policy names no admins", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_ExtraApprovalFromRisk_RaisesTheRequirement()
    {
        var decision = ApprovalEvaluator.Evaluate(Facts(reviews: [Approve("alice")]) with { ExtraApprovals = 1 });

        decision.Approved.ShouldBeFalse();
        decision.Required.ShouldBe(2);
        decision.Reasons.ShouldContain("1 of 2 required approvals (min_approvals 1 + 1 extra)");
    }

    [Fact]
    public void Evaluate_EveryFailingRuleIsReported_NotJustTheFirst()
    {
        var facts = Facts(r => r with { MinApprovals = 2, RequiredReviewers = ["bob"] }, [Approve("alice"), RequestChanges("dave")]) with
        {
            ChangesPolicy = true,
            Admins = ["bob"],
        };

        var decision = ApprovalEvaluator.Evaluate(facts);

        decision.Reasons.Count.ShouldBe(4);
        decision.Reasons.ShouldContain("changes requested by dave are outstanding");
        decision.Reasons.ShouldContain("1 of 2 required approvals");
        decision.Reasons.ShouldContain("no counting approval from bob (required reviewer)");
        decision.Reasons.ShouldContain(r => r.Contains("admins", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_ManyReviews_UsesEachReviewersLatestDecision()
    {
        // 150 reviews (more than one page from GitHub): alice flips repeatedly and ends approving,
        // bob's last decision is a change request buried under later comments.
        var reviews = new List<ReviewFact>();
        for (var i = 0; i < 70; i++)
        {
            reviews.Add(i % 2 == 0 ? RequestChanges("alice") : Approve("alice"));
            reviews.Add(Comment("erin"));
        }

        reviews.Add(Approve("bob"));
        reviews.Add(RequestChanges("bob"));
        reviews.AddRange(Enumerable.Repeat(Comment("bob"), 8));

        var decision = ApprovalEvaluator.Evaluate(Facts(reviews: [.. reviews]));

        reviews.Count.ShouldBe(150);
        decision.Reviewers.Select(r => (r.Reviewer, r.State)).ShouldBe([("alice", ReviewState.Approved), ("bob", ReviewState.ChangesRequested)]);
        decision.Counted.ShouldBe(1);
        decision.Reasons.ShouldBe(["changes requested by bob are outstanding"]);
    }

    [Fact]
    public void Evaluate_ExplainsWhyEachApprovalDidNotCount()
    {
        var decision = ApprovalEvaluator.Evaluate(Facts(reviews: [Approve("carol"), Approve("alice", Older), Approve("erin")]));

        decision.Reviewers.Select(r => r.WhyNot).ShouldBe([
            "is the pull request's author",
            $"approved {Older[..12]}, not the final head {Head[..12]} (stale)",
            "has no write access to the deploy repository",
        ]);
        decision.Summary.ShouldBe("0 of 1 approval");
    }

    [Fact]
    public void Evaluate_IndependentReviewWithUnknownAuthors_IsRefused()
    {
        var facts = Facts(r => r with { IndependentReview = true }, [Approve("alice")]) with { CommitAuthorsIncomplete = true };

        ApprovalEvaluator.Evaluate(facts).Reasons.ShouldContain(r => r.StartsWith("independent review cannot be confirmed", StringComparison.Ordinal));
    }

    [Fact]
    public void CandidateApprovers_LeavesOutAuthorStaleAndUndecided()
    {
        var reviews = new[] { Approve("carol"), Approve("alice", Older), Approve("bob"), RequestChanges("dave"), Comment("erin") };

        ApprovalEvaluator.CandidateApprovers(reviews, new PullRequestFact(1, "carol", Head, []), Rules()).ShouldBe(["bob"]);
    }
}
