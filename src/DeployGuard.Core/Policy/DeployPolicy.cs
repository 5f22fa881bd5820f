namespace DeployGuard.Core.Policy;

/// <summary>The rules of one environment. Null means "not set here": the defaults level fills it in.</summary>
public sealed record EnvironmentRules
{
    public bool? RequirePullRequest { get; init; }
    public int? MinApprovals { get; init; }
    public bool? AllowSelfApproval { get; init; }
    public bool? DismissStaleApprovals { get; init; }
    public bool? RequireChecks { get; init; }
    public bool? ProtectHistory { get; init; }
    public IReadOnlyList<string>? RequiredReviewers { get; init; }
    public string? PromoteFrom { get; init; }
    public TimeSpan? MinSoak { get; init; }
    public bool? IndependentReview { get; init; }
    public IReadOnlyList<FreezeWindow>? Freeze { get; init; }
    public int? ExtraApprovalAboveCommits { get; init; }

    /// <summary>This level's values where set, <paramref name="fallback"/>'s elsewhere.</summary>
    public EnvironmentRules Over(EnvironmentRules fallback) => new()
    {
        RequirePullRequest = RequirePullRequest ?? fallback.RequirePullRequest,
        MinApprovals = MinApprovals ?? fallback.MinApprovals,
        AllowSelfApproval = AllowSelfApproval ?? fallback.AllowSelfApproval,
        DismissStaleApprovals = DismissStaleApprovals ?? fallback.DismissStaleApprovals,
        RequireChecks = RequireChecks ?? fallback.RequireChecks,
        ProtectHistory = ProtectHistory ?? fallback.ProtectHistory,
        RequiredReviewers = RequiredReviewers ?? fallback.RequiredReviewers,
        PromoteFrom = PromoteFrom ?? fallback.PromoteFrom,
        MinSoak = MinSoak ?? fallback.MinSoak,
        IndependentReview = IndependentReview ?? fallback.IndependentReview,
        Freeze = Freeze ?? fallback.Freeze,
        ExtraApprovalAboveCommits = ExtraApprovalAboveCommits ?? fallback.ExtraApprovalAboveCommits,
    };
}

/// <summary>The rules in force for one environment once defaults are applied: every value set.</summary>
public sealed record EffectiveRules(
    bool RequirePullRequest,
    int MinApprovals,
    bool AllowSelfApproval,
    bool DismissStaleApprovals,
    bool RequireChecks,
    bool ProtectHistory,
    IReadOnlyList<string> RequiredReviewers,
    string? PromoteFrom,
    TimeSpan MinSoak,
    bool IndependentReview,
    IReadOnlyList<FreezeWindow> Freeze,
    int? ExtraApprovalAboveCommits)
{
    /// <summary>
    /// What applies when the policy file says nothing: the safe choice for every key. A deploy system
    /// whose silence means "no review" would make the unsafe path the easy one.
    /// </summary>
    public static EnvironmentRules BuiltIn { get; } = new()
    {
        RequirePullRequest = true,
        MinApprovals = 1,
        AllowSelfApproval = false,
        DismissStaleApprovals = true,
        RequireChecks = true,
        ProtectHistory = true,
        RequiredReviewers = [],
        MinSoak = TimeSpan.Zero,
        IndependentReview = false,
        Freeze = [],
    };

    internal static EffectiveRules From(EnvironmentRules r) => new(
        r.RequirePullRequest!.Value,
        r.MinApprovals!.Value,
        r.AllowSelfApproval!.Value,
        r.DismissStaleApprovals!.Value,
        r.RequireChecks!.Value,
        r.ProtectHistory!.Value,
        r.RequiredReviewers!,
        r.PromoteFrom,
        r.MinSoak!.Value,
        r.IndependentReview!.Value,
        r.Freeze!,
        r.ExtraApprovalAboveCommits);
}

/// <summary>A time when deploys to an environment wait.</summary>
public abstract record FreezeWindow(string? Reason);

/// <summary>A one-off window between two instants.</summary>
public sealed record AbsoluteFreezeWindow(DateTimeOffset Start, DateTimeOffset End, string? Reason) : FreezeWindow(Reason);

/// <summary>A window that repeats every week on the given days, in local time of an IANA time zone.</summary>
public sealed record WeeklyFreezeWindow(IReadOnlyList<DayOfWeek> Days, TimeOnly From, TimeOnly To, string TimeZone, string? Reason)
    : FreezeWindow(Reason);

public enum PipelineType
{
    GitHubActions,
    RepositoryDispatch,
    Webhook,
    Command,
}

/// <summary>How an app is deployed (SPEC §5). Only the fields of its <see cref="Type"/> are set.</summary>
public sealed record PipelineSpec
{
    public required PipelineType Type { get; init; }

    /// <summary>github-actions and repository-dispatch: owner/name, defaulting to the app's repository.</summary>
    public string? Repository { get; init; }

    public string? Workflow { get; init; }
    public string? Ref { get; init; }
    public Uri? Url { get; init; }

    /// <summary>Name of the environment variable holding the webhook secret; the secret itself is never in the policy.</summary>
    public string? SecretEnv { get; init; }

    public IReadOnlyList<string>? Command { get; init; }
    public TimeSpan? Timeout { get; init; }

    public static TimeSpan DefaultCommandTimeout { get; } = TimeSpan.FromMinutes(10);
}

public sealed record AppPolicy
{
    public required string Name { get; init; }
    public required string Repository { get; init; }
    public string ReleaseBranch { get; init; } = "main";
    public required PipelineSpec Pipeline { get; init; }
    public IReadOnlyDictionary<string, PipelineSpec> EnvironmentPipelines { get; init; } = new Dictionary<string, PipelineSpec>();

    /// <summary>The pipeline for <paramref name="environment"/>: its override, else the app's own.</summary>
    public PipelineSpec PipelineFor(string environment) =>
        EnvironmentPipelines.TryGetValue(environment, out var pipeline) ? pipeline : Pipeline;
}

/// <summary>The policy file <c>deployguard.yml</c>, validated (SPEC §3).</summary>
public sealed record DeployPolicy
{
    public int Version { get; init; } = 1;
    public IReadOnlyList<string> Admins { get; init; } = [];
    public EnvironmentRules Defaults { get; init; } = new();
    public IReadOnlyDictionary<string, EnvironmentRules> Environments { get; init; } = new Dictionary<string, EnvironmentRules>();
    public IReadOnlyDictionary<string, AppPolicy> Apps { get; init; } = new Dictionary<string, AppPolicy>();

    /// <summary>
    /// A deploy repository without a policy file deploys nothing: no environment or app is known,
    /// so every deploy file is refused with a reason that says to add one.
    /// </summary>
    public static DeployPolicy Empty { get; } = new();

    /// <summary>The rules for <paramref name="environment"/>, or null when the policy does not define it.</summary>
    public EffectiveRules? RulesFor(string environment) =>
        Environments.TryGetValue(environment, out var rules)
            ? EffectiveRules.From(rules.Over(Defaults).Over(EffectiveRules.BuiltIn))
            : null;
}
