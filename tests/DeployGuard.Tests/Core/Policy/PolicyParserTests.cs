using DeployGuard.Core.Policy;

namespace DeployGuard.Tests.Core.Policy;

/// <summary>The policy file <c>deployguard.yml</c> (SPEC §3): parsing, safe defaults, and every error at once.</summary>
public sealed class PolicyParserTests
{
    /// <summary>The example of SPEC §3, verbatim.</summary>
    private const string SpecExample = """
        version: 1
        admins: ["@acme/platform"]           # users or @org/team
        defaults:                            # apply to every environment unless overridden
          require_pull_request: true         # a direct push to the branch is refused
          min_approvals: 1
          allow_self_approval: false         # the PR author's approval never counts
          dismiss_stale_approvals: true      # only approvals of the PR's final head commit count
          require_checks: true               # the app commit's status checks must be green
        environments:
          staging: {}
          production:
            min_approvals: 2
            required_reviewers: ["@acme/ops"]  # at least one approval from EACH entry
            promote_from: staging              # commit must have succeeded in staging first
            min_soak: 30m                      # ... at least this long ago
            independent_review: true           # approvers must not be authors of the commits being deployed
            freeze:
              - { start: "2026-12-20T00:00:00Z", end: "2027-01-04T00:00:00Z", reason: "holidays" }
              - { days: [fri], from: "16:00", to: "23:59", timezone: "Europe/London", reason: "no Friday deploys" }
            risk:
              extra_approval_above_commits: 50 # more new commits than this: one more approval needed
        apps:
          app:
            repository: acme/app              # GitHub repository of the source code
            release_branch: main              # only commits reachable from here deploy
            pipeline:
              type: github-actions            # github-actions | repository-dispatch | webhook | command
              workflow: deploy.yml
              ref: main
            environments:                     # optional per-environment overrides
              production: { pipeline: { type: github-actions, workflow: deploy-prod.yml, ref: main } }
          billing:
            repository: acme/billing
            release_branch: main
            pipeline:
              type: webhook
              url: https://ci.acme.example/deploy-hook
              secret_env: BILLING_HOOK_SECRET   # required: deliveries are always signed
          reports:
            repository: acme/reports
            pipeline:
              type: command
              command: ["./scripts/deploy.sh", "--quiet"]   # or a single program path; no shell
              timeout: 10m
        """;

    private const string OneApp = """
        apps:
          app:
            repository: acme/app
            pipeline: { type: github-actions, workflow: deploy.yml }
        """;

    private static DeployPolicy ShouldParse(string yaml)
    {
        var result = PolicyParser.Parse(yaml);
        result.Errors.ShouldBeEmpty(string.Join("\n", result.Errors));
        result.IsValid.ShouldBeTrue();
        return result.Policy.ShouldNotBeNull();
    }

    /// <summary>A policy whose <c>production</c> rules start on line 5.</summary>
    private static string WithProduction(params string[] rules) =>
        "version: 1\n" +
        "environments:\n" +
        "  staging: {}\n" +
        "  production:\n" +
        string.Concat(rules.Select(r => $"    {r}\n")) +
        OneApp + "\n";

    /// <summary>A policy whose app <c>app</c> body starts on line 7.</summary>
    private static string WithApp(params string[] body) =>
        "version: 1\n" +
        "environments:\n" +
        "  staging: {}\n" +
        "  production: {}\n" +
        "apps:\n" +
        "  app:\n" +
        string.Concat(body.Select(b => $"    {b}\n"));

    private static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    [Fact]
    public void Parse_SpecExample_GivesTheDocumentedRules()
    {
        var policy = ShouldParse(SpecExample);

        policy.Version.ShouldBe(1);
        policy.Admins.ShouldBe(["@acme/platform"]);
        policy.Environments.Keys.ShouldBe(["staging", "production"], ignoreOrder: true);

        var production = policy.RulesFor("production").ShouldNotBeNull();
        production.RequirePullRequest.ShouldBeTrue();
        production.MinApprovals.ShouldBe(2);
        production.AllowSelfApproval.ShouldBeFalse();
        production.DismissStaleApprovals.ShouldBeTrue();
        production.RequireChecks.ShouldBeTrue();
        production.ProtectHistory.ShouldBeTrue();
        production.RequiredReviewers.ShouldBe(["@acme/ops"]);
        production.PromoteFrom.ShouldBe("staging");
        production.MinSoak.ShouldBe(TimeSpan.FromMinutes(30));
        production.IndependentReview.ShouldBeTrue();
        production.ExtraApprovalAboveCommits.ShouldBe(50);

        production.Freeze.Count.ShouldBe(2);
        production.Freeze[0].ShouldBe(new AbsoluteFreezeWindow(
            DateTimeOffset.Parse("2026-12-20T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse("2027-01-04T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            "holidays"));
        var weekly = production.Freeze[1].ShouldBeOfType<WeeklyFreezeWindow>();
        weekly.Days.ShouldBe([DayOfWeek.Friday]);
        weekly.From.ShouldBe(new TimeOnly(16, 0));
        weekly.To.ShouldBe(new TimeOnly(23, 59));
        weekly.TimeZone.ShouldBe("Europe/London");
        weekly.Reason.ShouldBe("no Friday deploys");

        var staging = policy.RulesFor("staging").ShouldNotBeNull();
        staging.MinApprovals.ShouldBe(1);
        staging.PromoteFrom.ShouldBeNull();
        staging.MinSoak.ShouldBe(TimeSpan.Zero);
        staging.Freeze.ShouldBeEmpty();
        staging.RequiredReviewers.ShouldBeEmpty();
        staging.IndependentReview.ShouldBeFalse();
        staging.ExtraApprovalAboveCommits.ShouldBeNull();

        policy.RulesFor("qa").ShouldBeNull();
    }

    [Fact]
    public void Parse_SpecExample_GivesTheDocumentedPipelines()
    {
        var policy = ShouldParse(SpecExample);
        policy.Apps.Keys.ShouldBe(["app", "billing", "reports"], ignoreOrder: true);

        var app = policy.Apps["app"];
        app.Repository.ShouldBe("acme/app");
        app.ReleaseBranch.ShouldBe("main");
        app.PipelineFor("staging").ShouldBe(new PipelineSpec { Type = PipelineType.GitHubActions, Repository = "acme/app", Workflow = "deploy.yml", Ref = "main" });
        app.PipelineFor("production").Workflow.ShouldBe("deploy-prod.yml");
        app.PipelineFor("production").Repository.ShouldBe("acme/app");

        var billing = policy.Apps["billing"].PipelineFor("production");
        billing.Type.ShouldBe(PipelineType.Webhook);
        billing.Url.ShouldBe(new Uri("https://ci.acme.example/deploy-hook"));
        billing.SecretEnv.ShouldBe("BILLING_HOOK_SECRET");

        var reports = policy.Apps["reports"];
        reports.ReleaseBranch.ShouldBe("main");
        reports.Pipeline.Type.ShouldBe(PipelineType.Command);
        reports.Pipeline.Command.ShouldBe(["./scripts/deploy.sh", "--quiet"]);
        reports.Pipeline.Timeout.ShouldBe(TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void Parse_KeysAbsent_BuiltInSafeDefaultsApply()
    {
        var policy = ShouldParse(Lines("version: 1", "environments:", "  production: {}", "  staging:", "apps: {}"));

        foreach (var environment in new[] { "production", "staging" })
        {
            var rules = policy.RulesFor(environment).ShouldNotBeNull();
            rules.RequirePullRequest.ShouldBeTrue();
            rules.MinApprovals.ShouldBe(1);
            rules.AllowSelfApproval.ShouldBeFalse();
            rules.DismissStaleApprovals.ShouldBeTrue();
            rules.RequireChecks.ShouldBeTrue();
            rules.ProtectHistory.ShouldBeTrue();
            rules.RequiredReviewers.ShouldBeEmpty();
            rules.PromoteFrom.ShouldBeNull();
            rules.MinSoak.ShouldBe(TimeSpan.Zero);
            rules.IndependentReview.ShouldBeFalse();
            rules.Freeze.ShouldBeEmpty();
            rules.ExtraApprovalAboveCommits.ShouldBeNull();
        }

        policy.Admins.ShouldBeEmpty();
        policy.Apps.ShouldBeEmpty();
    }

    [Fact]
    public void RulesFor_EnvironmentOverDefaultsOverBuiltIn()
    {
        var policy = ShouldParse(Lines(
            "version: 1",
            "defaults:",
            "  min_approvals: 2",
            "  require_checks: false",
            "  protect_history: false",
            "environments:",
            "  staging: {}",
            "  production: { min_approvals: 3, require_checks: true }",
            "apps: {}"));

        var staging = policy.RulesFor("staging")!;
        staging.MinApprovals.ShouldBe(2);
        staging.RequireChecks.ShouldBeFalse();
        staging.ProtectHistory.ShouldBeFalse();
        staging.RequirePullRequest.ShouldBeTrue();

        var production = policy.RulesFor("production")!;
        production.MinApprovals.ShouldBe(3);
        production.RequireChecks.ShouldBeTrue();
        production.ProtectHistory.ShouldBeFalse();
    }

    [Fact]
    public void Parse_Principals_AreNormalised()
    {
        var policy = ShouldParse(Lines(
            "version: 1",
            "admins: [\"@alice\", bob, \"@acme/platform\"]",
            "environments:",
            "  production: { required_reviewers: [\"@acme/ops\", \"@carol\", dave-1] }",
            "apps: {}"));

        policy.Admins.ShouldBe(["alice", "bob", "@acme/platform"]);
        policy.RulesFor("production")!.RequiredReviewers.ShouldBe(["@acme/ops", "carol", "dave-1"]);
    }

    [Fact]
    public void Parse_PipelineDefaults_ComeFromTheApp()
    {
        var policy = ShouldParse(Lines(
            "version: 1",
            "environments: { production: {} }",
            "apps:",
            "  app:",
            "    repository: acme/app",
            "    release_branch: release",
            "    pipeline: { type: github-actions, workflow: deploy.yml }",
            "  dispatch:",
            "    repository: acme/dispatch",
            "    pipeline: { type: repository-dispatch, repository: acme/deployer }",
            "  tool:",
            "    repository: acme/tool",
            "    pipeline: { type: command, command: ./deploy.sh }"));

        var app = policy.Apps["app"].Pipeline;
        app.Ref.ShouldBe("release");
        app.Repository.ShouldBe("acme/app");
        policy.Apps["dispatch"].Pipeline.ShouldBe(new PipelineSpec { Type = PipelineType.RepositoryDispatch, Repository = "acme/deployer" });
        var tool = policy.Apps["tool"].Pipeline;
        tool.Command.ShouldBe(["./deploy.sh"]);
        tool.Timeout.ShouldBe(PipelineSpec.DefaultCommandTimeout);
        policy.Apps["tool"].PipelineFor("production").ShouldBeSameAs(tool);
    }

    [Fact]
    public void Parse_WeeklyWindow_DefaultsToUtcAndAcceptsMidnightEnd()
    {
        var policy = ShouldParse(WithProduction(
            "freeze:",
            "  - { days: [sat, Sunday], from: \"0:00\", to: \"24:00\" }"));

        var window = policy.RulesFor("production")!.Freeze.ShouldHaveSingleItem().ShouldBeOfType<WeeklyFreezeWindow>();
        window.Days.ShouldBe([DayOfWeek.Saturday, DayOfWeek.Sunday]);
        window.TimeZone.ShouldBe("UTC");
        window.From.ShouldBe(TimeOnly.MinValue);
        window.To.ShouldBe(TimeOnly.MaxValue);
        window.Reason.ShouldBeNull();
    }

    [Fact]
    public void Parse_AbsoluteWindowWithOffset_KeepsTheInstant()
    {
        var policy = ShouldParse(WithProduction(
            "freeze:",
            "  - { start: \"2026-12-20T09:00:00+01:00\", end: \"2026-12-20T18:00:00+01:00\" }"));

        var window = policy.RulesFor("production")!.Freeze.ShouldHaveSingleItem().ShouldBeOfType<AbsoluteFreezeWindow>();
        window.Start.UtcDateTime.ShouldBe(new DateTime(2026, 12, 20, 8, 0, 0, DateTimeKind.Utc));
        window.End.UtcDateTime.ShouldBe(new DateTime(2026, 12, 20, 17, 0, 0, DateTimeKind.Utc));
    }

    [Theory]
    [InlineData("45s", 0, 0, 45)]
    [InlineData("30m", 0, 30, 0)]
    [InlineData("2h", 2, 0, 0)]
    [InlineData("1d", 24, 0, 0)]
    [InlineData("1h30m", 1, 30, 0)]
    [InlineData("1d2h3m4s", 26, 3, 4)]
    [InlineData("90m", 1, 30, 0)]
    [InlineData("0", 0, 0, 0)]
    [InlineData("0s", 0, 0, 0)]
    public void TryParseDuration_UnitSuffixes_AreAccepted(string text, int hours, int minutes, int seconds)
    {
        PolicyParser.TryParseDuration(text, out var duration).ShouldBeTrue();
        duration.ShouldBe(new TimeSpan(hours, minutes, seconds));
    }

    [Theory]
    [InlineData("30 minutes")]
    [InlineData("30")]
    [InlineData("m30")]
    [InlineData("1.5h")]
    [InlineData("-5m")]
    [InlineData("30M")]
    [InlineData("1h 30m")]
    [InlineData("30m1h")]
    [InlineData("PT30M")]
    [InlineData("00:30:00")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    [InlineData("99999999999999999999d")]
    [InlineData("999999999d")]
    public void TryParseDuration_WithoutAUnitOrMalformed_IsRejected(string? text)
    {
        PolicyParser.TryParseDuration(text, out var duration).ShouldBeFalse();
        duration.ShouldBe(TimeSpan.Zero);
    }

    [Theory]
    [InlineData("45s", 45)]
    [InlineData("30m", 30 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("1d", 24 * 3600)]
    [InlineData("1h30m", 90 * 60)]
    [InlineData("0", 0)]
    public void Parse_MinSoakDuration_IsAccepted(string text, int seconds)
    {
        ShouldParse(WithProduction($"min_soak: {text}")).RulesFor("production")!.MinSoak.ShouldBe(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("@alice", "alice")]
    [InlineData(" alice ", "alice")]
    [InlineData("@acme/ops", "@acme/ops")]
    [InlineData("@acme/site-reliability.team_1", "@acme/site-reliability.team_1")]
    public void TryNormalizePrincipal_UsersAndTeams(string text, string expected)
    {
        PolicyParser.TryNormalizePrincipal(text, out var principal).ShouldBeTrue();
        principal.ShouldBe(expected);
    }

    [Theory]
    [InlineData("acme/ops")]
    [InlineData("@acme/")]
    [InlineData("not a user")]
    [InlineData("-alice")]
    [InlineData("")]
    [InlineData("a123456789012345678901234567890123456789")]
    public void TryNormalizePrincipal_Malformed_IsRejected(string text)
    {
        PolicyParser.TryNormalizePrincipal(text, out _).ShouldBeFalse();
    }

    public static TheoryData<string, string, string, int, string, int> Invalid => new()
    {
        // rule, yaml, key path, line, message fragment, number of errors

        // the file
        { "an empty file", "", "", 1, "the policy file is empty: it needs at least 'version: 1'", 1 },
        { "a comment-only file is empty", "# nothing yet\n", "", 1, "the policy file is empty", 1 },
        { "invalid YAML syntax reports the line", Lines("version: 1", "environments:", "  production: {}", " apps: {}"), "", 4, "invalid YAML: While parsing a block mapping, did not find expected key", 1 },
        { "a plain value cannot hold ': '", Lines("version: 1", "environments:", "  production: strict: yes", "apps: {}"), "", 3, "invalid YAML", 1 },
        { "an unknown alias is invalid YAML", Lines("version: 1", "environments: *envs", "apps: {}"), "", 1, "invalid YAML: The anchor 'envs' does not exist", 1 },
        { "a duplicate key is a YAML error with its line", WithProduction("min_approvals: 2", "min_approvals: 1"), "", 6, "Duplicate key min_approvals", 1 },
        { "a duplicate environment is a YAML error", Lines("version: 1", "environments:", "  production: {}", "  production: {}", "apps: {}"), "", 4, "Duplicate key production", 1 },
        { "two YAML documents", WithProduction() + "---\nversion: 1\n", "", 10, "the policy file must hold a single YAML document", 1 },
        { "a list is not a policy", "- version: 1\n", "", 1, "must be a mapping of keys", 1 },

        // the top level
        { "the version is required", Lines("environments: {}", "apps: {}"), "version", 1, "missing: add 'version: 1' at the top", 1 },
        { "only version 1 is supported", WithProduction().Replace("version: 1", "version: 2", StringComparison.Ordinal), "version", 1, "version 2 is not supported", 1 },
        { "the version is a number", WithProduction().Replace("version: 1", "version: one", StringComparison.Ordinal), "version", 1, "expected a whole number", 1 },
        { "an unknown top-level key", WithProduction() + "notify: true\n", "notify", 9, "unknown key 'notify' at the top level", 1 },
        { "a misspelt top-level key is suggested", Lines("version: 1", "enviroments: {}", "apps: {}"), "enviroments", 2, "did you mean 'environments'?", 2 },
        { "environments are required", Lines("version: 1", "apps: {}"), "environments", 1, "missing: list the environments", 1 },
        { "apps are required", Lines("version: 1", "environments: {}"), "apps", 1, "missing: list the apps", 1 },
        { "admins is a list", WithProduction() + "admins: \"@acme/platform\"\n", "admins", 9, "expected a list of users or @org/team names", 1 },

        // environment rules
        { "a misspelt rule is an error, not a silent default", WithProduction("min_aprovals: 2"), "environments.production.min_aprovals", 5, "did you mean 'min_approvals'?", 1 },
        { "min_approvals is a whole number", WithProduction("min_approvals: two"), "environments.production.min_approvals", 5, "expected a whole number of at least 0, got 'two'", 1 },
        { "min_approvals is not negative", WithProduction("min_approvals: -1"), "environments.production.min_approvals", 5, "got '-1'", 1 },
        { "min_approvals is not a fraction", WithProduction("min_approvals: 1.5"), "environments.production.min_approvals", 5, "got '1.5'", 1 },
        { "booleans are true or false, not yes", WithProduction("require_checks: yes"), "environments.production.require_checks", 5, "expected true or false, got 'yes'", 1 },
        { "booleans are true or false, not on", WithProduction("protect_history: on"), "environments.production.protect_history", 5, "expected true or false, got 'on'", 1 },
        { "booleans are lowercase", WithProduction("allow_self_approval: True"), "environments.production.allow_self_approval", 5, "expected true or false, got 'True'", 1 },
        { "a duration needs a compact unit", WithProduction("min_soak: 30 minutes"), "environments.production.min_soak", 5, "'30 minutes' is not a duration: use a number with a unit, like 45s, 30m, 2h, 1d or 1h30m", 1 },
        { "a duration needs a unit", WithProduction("min_soak: 30"), "environments.production.min_soak", 5, "'30' is not a duration", 1 },
        { "the unit follows the number", WithProduction("min_soak: m30"), "environments.production.min_soak", 5, "'m30' is not a duration", 1 },
        { "durations are whole numbers", WithProduction("min_soak: 1.5h"), "environments.production.min_soak", 5, "'1.5h' is not a duration", 1 },
        { "a rule value is a scalar", WithProduction("min_soak: [30m]"), "environments.production.min_soak", 5, "expected a single value", 1 },
        { "an environment name is lowercase", Lines("version: 1", "environments:", "  Production: {}", "apps: {}"), "environments.Production", 3, "environment name 'Production' is invalid", 1 },
        { "an environment's rules are a mapping", Lines("version: 1", "environments:", "  production: strict", "apps: {}"), "environments.production", 3, "expected a mapping of keys", 1 },
        { "promote_from names a known environment", WithProduction("promote_from: stagin"), "environments.production.promote_from", 5, "'stagin' is not an environment of this policy (did you mean 'staging'?)", 1 },
        { "an environment cannot promote from itself", WithProduction("promote_from: production"), "environments.production.promote_from", 5, "cannot promote from itself", 1 },
        { "promote_from does not belong in defaults", Lines("version: 1", "defaults:", "  promote_from: staging", "environments:", "  staging: {}", "apps: {}"), "defaults.promote_from", 3, "promote_from belongs to one environment, not to the defaults", 1 },
        { "required_reviewers entries are users or teams", WithProduction("required_reviewers: [\"@acme/ops\", \"not a user\"]"), "environments.production.required_reviewers", 5, "'not a user' is neither a GitHub user (alice) nor a team (@org/team)", 1 },
        { "required_reviewers is a list", WithProduction("required_reviewers: \"@acme/ops\""), "environments.production.required_reviewers", 5, "expected a list", 1 },
        { "risk threshold is at least 1", WithProduction("risk: { extra_approval_above_commits: 0 }"), "environments.production.risk.extra_approval_above_commits", 5, "at least 1, got '0'", 1 },
        { "risk keys are checked", WithProduction("risk: { extra_approvals: 1 }"), "environments.production.risk.extra_approvals", 5, "unknown key 'extra_approvals' in environments.production.risk", 1 },

        // freeze windows
        { "freeze is a list", WithProduction("freeze: { start: \"2026-12-20T00:00:00Z\", end: \"2027-01-04T00:00:00Z\" }"), "environments.production.freeze", 5, "expected a list of windows", 1 },
        { "a window ends after it starts", WithProduction("freeze:", "  - { start: \"2027-01-04T00:00:00Z\", end: \"2026-12-20T00:00:00Z\" }"), "environments.production.freeze[0].end", 6, "the window must end after it starts", 1 },
        { "a window instant has a time zone", WithProduction("freeze:", "  - { start: \"2026-12-20T00:00:00\", end: \"2027-01-04T00:00:00Z\" }"), "environments.production.freeze[0].start", 6, "is not an instant with a time zone", 1 },
        { "a window needs both ends", WithProduction("freeze:", "  - { start: \"2026-12-20T00:00:00Z\" }"), "environments.production.freeze[0].end", 6, "missing: an instant", 1 },
        { "a weekly window names real days", WithProduction("freeze:", "  - { days: [fri, fry], from: \"16:00\", to: \"23:59\" }"), "environments.production.freeze[0].days", 6, "'fry' is not a day: use mon, tue, wed, thu, fri, sat or sun", 1 },
        { "a weekly window's days are a list", WithProduction("freeze:", "  - { days: fri, from: \"16:00\", to: \"23:59\" }"), "environments.production.freeze[0].days", 6, "expected a list of days", 1 },
        { "a weekly window has valid times", WithProduction("freeze:", "  - { days: [fri], from: \"25:00\", to: \"23:59\" }"), "environments.production.freeze[0].from", 6, "'25:00' is not a time of day: use HH:mm", 1 },
        { "a weekly window needs both times", WithProduction("freeze:", "  - { days: [fri], from: \"16:00\" }"), "environments.production.freeze[0].to", 6, "missing: a time of day", 1 },
        { "a weekly window is not empty", WithProduction("freeze:", "  - { days: [fri], from: \"16:00\", to: \"16:00\" }"), "environments.production.freeze[0].to", 6, "the window is empty", 1 },
        { "a weekly window's time zone is known", WithProduction("freeze:", "  - { days: [fri], from: \"16:00\", to: \"23:59\", timezone: \"Mars/Olympus\" }"), "environments.production.freeze[0].timezone", 6, "'Mars/Olympus' is not a known IANA time zone", 1 },
        { "a window is absolute or weekly, not both", WithProduction("freeze:", "  - { start: \"2026-12-20T00:00:00Z\", end: \"2027-01-04T00:00:00Z\", days: [fri] }"), "environments.production.freeze[0]", 6, "not both", 1 },
        { "a window needs a shape", WithProduction("freeze:", "  - { reason: \"why not\" }"), "environments.production.freeze[0]", 6, "a window needs {start, end} or {days, from, to}", 1 },
        { "window keys are checked", WithProduction("freeze:", "  - { days: [fri], from: \"16:00\", to: \"23:59\", tz: UTC }"), "environments.production.freeze[0].tz", 6, "unknown key 'tz'", 1 },

        // apps
        { "an app name follows the name rule", Lines("version: 1", "environments: { production: {} }", "apps:", "  My_App:", "    repository: acme/app"), "apps.My_App", 4, "app name 'My_App' is invalid", 1 },
        { "an app needs a repository", WithApp("pipeline: { type: github-actions, workflow: deploy.yml }"), "apps.app.repository", 7, "missing: the GitHub repository of the app's source, as owner/name", 1 },
        { "a repository is owner/name", WithApp("repository: acme", "pipeline: { type: github-actions, workflow: deploy.yml }"), "apps.app.repository", 7, "'acme' is not a GitHub repository: use owner/name, like acme/app", 1 },
        { "a repository is not a URL", WithApp("repository: https://github.com/acme/app", "pipeline: { type: github-actions, workflow: deploy.yml }"), "apps.app.repository", 7, "is not a GitHub repository", 1 },
        { "an app needs a pipeline", WithApp("repository: acme/app"), "apps.app.pipeline", 7, "missing: how this app is deployed", 1 },
        { "app keys are checked", WithApp("repository: acme/app", "branch: main", "pipeline: { type: github-actions, workflow: deploy.yml }"), "apps.app.branch", 8, "unknown key 'branch' in apps.app", 1 },
        { "a release branch is named", WithApp("repository: acme/app", "release_branch: \"\"", "pipeline: { type: github-actions, workflow: deploy.yml }"), "apps.app.release_branch", 8, "must name a branch", 1 },
        { "a pipeline has a type", WithApp("repository: acme/app", "pipeline: { workflow: deploy.yml }"), "apps.app.pipeline.type", 8, "missing: one of github-actions, repository-dispatch, webhook, command", 1 },
        { "an unknown pipeline type is suggested", WithApp("repository: acme/app", "pipeline: { type: github-action, workflow: deploy.yml }"), "apps.app.pipeline.type", 8, "'github-action' is not a pipeline type: use one of github-actions, repository-dispatch, webhook, command (did you mean 'github-actions'?)", 1 },
        { "github-actions needs a workflow", WithApp("repository: acme/app", "pipeline: { type: github-actions, ref: main }"), "apps.app.pipeline.workflow", 8, "missing: the workflow file name or id", 1 },
        { "github-actions workflow is not empty", WithApp("repository: acme/app", "pipeline: { type: github-actions, workflow: \"\" }"), "apps.app.pipeline.workflow", 8, "must not be empty", 1 },
        { "keys of another pipeline type are unknown", WithApp("repository: acme/app", "pipeline: { type: github-actions, workflow: deploy.yml, url: \"https://x.example\" }"), "apps.app.pipeline.url", 8, "unknown key 'url' for a github-actions pipeline", 1 },
        { "a webhook needs secret_env (deliveries are signed)", WithApp("repository: acme/app", "pipeline:", "  type: webhook", "  url: https://ci.acme.example/hook"), "apps.app.pipeline.secret_env", 9, "missing: deliveries are always signed", 1 },
        { "a webhook secret is never inline", WithApp("repository: acme/app", "pipeline:", "  type: webhook", "  url: https://ci.acme.example/hook", "  secret: hunter2-hunter2"), "apps.app.pipeline.secret", 11, "unknown key 'secret' for a webhook pipeline", 2 },
        { "secret_env names a variable, not the secret", WithApp("repository: acme/app", "pipeline:", "  type: webhook", "  url: https://ci.acme.example/hook", "  secret_env: \"s3cr3t-value!\""), "apps.app.pipeline.secret_env", 11, "not the secret itself", 1 },
        { "a webhook URL is http(s)", WithApp("repository: acme/app", "pipeline:", "  type: webhook", "  url: ftp://ci.acme.example/hook", "  secret_env: HOOK_SECRET"), "apps.app.pipeline.url", 10, "expected an absolute http(s) URL without credentials in it", 1 },
        { "a webhook URL is absolute", WithApp("repository: acme/app", "pipeline:", "  type: webhook", "  url: /deploy-hook", "  secret_env: HOOK_SECRET"), "apps.app.pipeline.url", 10, "expected an absolute http(s) URL", 1 },
        { "a webhook URL holds no credentials", WithApp("repository: acme/app", "pipeline:", "  type: webhook", "  url: https://user:pass@ci.acme.example/hook", "  secret_env: HOOK_SECRET"), "apps.app.pipeline.url", 10, "without credentials in it", 1 },
        { "a command is not an empty list", WithApp("repository: acme/app", "pipeline:", "  type: command", "  command: []"), "apps.app.pipeline.command", 10, "expected a program path or a non-empty list", 1 },
        { "a command is not an empty string", WithApp("repository: acme/app", "pipeline:", "  type: command", "  command: \"\""), "apps.app.pipeline.command", 10, "no shell is involved", 1 },
        { "a command is required", WithApp("repository: acme/app", "pipeline:", "  type: command"), "apps.app.pipeline.command", 9, "missing: the program to run", 1 },
        { "a command timeout is greater than zero", WithApp("repository: acme/app", "pipeline:", "  type: command", "  command: ./deploy.sh", "  timeout: 0"), "apps.app.pipeline.timeout", 11, "a command needs a timeout greater than zero", 1 },
        { "a command timeout is a duration", WithApp("repository: acme/app", "pipeline:", "  type: command", "  command: ./deploy.sh", "  timeout: 10"), "apps.app.pipeline.timeout", 11, "'10' is not a duration", 1 },
        { "a per-app override names a known environment", WithApp("repository: acme/app", "pipeline: { type: github-actions, workflow: deploy.yml }", "environments:", "  producton: { pipeline: { type: github-actions, workflow: deploy-prod.yml } }"), "apps.app.environments.producton", 10, "'producton' is not an environment of this policy (did you mean 'production'?)", 1 },
        { "a per-app override holds only a pipeline", WithApp("repository: acme/app", "pipeline: { type: github-actions, workflow: deploy.yml }", "environments:", "  production: { min_approvals: 3 }"), "apps.app.environments.production.min_approvals", 10, "unknown key 'min_approvals'", 1 },
        { "a per-app override pipeline is validated", WithApp("repository: acme/app", "pipeline: { type: github-actions, workflow: deploy.yml }", "environments:", "  production: { pipeline: { type: webhook, url: \"https://x.example\" } }"), "apps.app.environments.production.pipeline.secret_env", 10, "missing: deliveries are always signed", 1 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Parse_InvalidPolicy_ReportsKeyAndLine(string rule, string yaml, string key, int line, string message, int count)
    {
        _ = rule;
        var result = PolicyParser.Parse(yaml);

        result.IsValid.ShouldBeFalse();
        result.Policy.ShouldBeNull();
        result.Errors.Count.ShouldBe(count, string.Join("\n", result.Errors));
        var error = result.Errors.FirstOrDefault(e => e.Key == key && e.Message.Contains(message, StringComparison.Ordinal));
        error.ShouldNotBeNull($"expected '{key}: ...{message}...' among:\n{string.Join("\n", result.Errors)}");
        error.File.ShouldBe("deployguard.yml");
        error.Line.ShouldBe(line);
        error.Column.ShouldBeGreaterThan(0);
        error.ToString().ShouldStartWith($"deployguard.yml:{line}:{error.Column}: ");
        if (key.Length > 0)
        {
            error.ToString().ShouldContain($": {key}: ");
        }
    }

    [Fact]
    public void Parse_SeveralErrors_AreAllReportedAtOnceInLineOrder()
    {
        var yaml = Lines(
            "version: 1",                                      // 1
            "environments:",                                   // 2
            "  staging:",                                      // 3
            "    min_aprovals: 2",                             // 4
            "  production:",                                   // 5
            "    min_soak: 30 minutes",                        // 6
            "    require_checks: yes",                         // 7
            "    promote_from: qa",                            // 8
            "apps:",                                           // 9
            "  app:",                                          // 10
            "    repository: acme",                            // 11
            "    pipeline:",                                   // 12
            "      type: webhook",                             // 13
            "      url: https://ci.acme.example/hook");        // 14

        var result = PolicyParser.Parse(yaml);

        result.IsValid.ShouldBeFalse();
        result.Errors.Select(e => (e.Key, e.Line)).ShouldBe(
        [
            ("environments.staging.min_aprovals", 4),
            ("environments.production.min_soak", 6),
            ("environments.production.require_checks", 7),
            ("environments.production.promote_from", 8),
            ("apps.app.repository", 11),
            ("apps.app.pipeline.secret_env", 13),
        ]);
    }

    [Fact]
    public void Parse_PromotionCycle_IsReportedForEveryEnvironmentInIt()
    {
        var yaml = Lines(
            "version: 1",
            "environments:",
            "  staging:",
            "    promote_from: production",
            "  production:",
            "    promote_from: staging",
            "apps: {}");

        var result = PolicyParser.Parse(yaml);

        result.IsValid.ShouldBeFalse();
        result.Errors.Select(e => (e.Key, e.Line)).ShouldBe(
        [
            ("environments.staging.promote_from", 4),
            ("environments.production.promote_from", 6),
        ]);
        result.Errors.ShouldAllBe(e => e.Message.Contains("promotion order is circular", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_PromotionChain_IsAccepted()
    {
        var policy = ShouldParse(Lines(
            "version: 1",
            "environments:",
            "  dev: {}",
            "  staging: { promote_from: dev }",
            "  production: { promote_from: staging }",
            "apps: {}"));

        policy.RulesFor("production")!.PromoteFrom.ShouldBe("staging");
        policy.RulesFor("staging")!.PromoteFrom.ShouldBe("dev");
    }

    [Fact]
    public void Parse_InlineWebhookSecret_IsNeverEchoedInErrors()
    {
        var result = PolicyParser.Parse(WithApp(
            "repository: acme/app",
            "pipeline:",
            "  type: webhook",
            "  url: https://ci.acme.example/hook",
            "  secret: hunter2-hunter2",
            "  secret_env: \"hunter3-hunter3\""));

        result.IsValid.ShouldBeFalse();
        result.Errors.Count.ShouldBe(2);
        result.Errors.ShouldAllBe(e => !e.ToString().Contains("hunter", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_FileName_IsUsedInErrors()
    {
        var result = PolicyParser.Parse("version: 2\nenvironments: {}\napps: {}\n", "deploy/deployguard.yml");

        result.Errors.ShouldHaveSingleItem().ToString().ShouldBe(
            "deploy/deployguard.yml:1:10: version: version 2 is not supported: this DeployGuard reads version 1");
    }

    [Fact]
    public void Parse_Null_Throws()
    {
        Should.Throw<ArgumentNullException>(() => PolicyParser.Parse(null!));
    }

    // Regressions found while writing this suite: each failed before its fix.
    [Theory]
    [InlineData("version: 1\nenvironments: [\napps: {}\n")]
    [InlineData("version: 1\nenvironments: { production: {}\napps: {}\n")]
    [InlineData("version: 1\nenvironments:\n  production:\n    required_reviewers: [\"@acme/ops\"\n    min_approvals: 2\napps: {}\n")]
    public void Parse_UnterminatedFlowCollection_IsAnInvalidYamlError(string yaml)
    {
        var result = PolicyParser.Parse(yaml);

        result.IsValid.ShouldBeFalse();
        var error = result.Errors.ShouldHaveSingleItem();
        error.Message.ShouldStartWith("invalid YAML");
        error.Line.ShouldBeGreaterThan(1);
    }

    [Theory]
    [InlineData("version: 1\nenvironments:\n  ? [a, b]\n  : {}\napps: {}\n", "environments", 3)]
    [InlineData("version: 1\nenvironments: {}\napps:\n  ? [a]\n  : {}\n", "apps", 4)]
    [InlineData("version: 1\nenvironments: { production: {} }\napps:\n  app:\n    repository: acme/app\n    pipeline: { type: command, command: x }\n    environments:\n      ? [production]\n      : {}\n", "apps.app.environments", 8)]
    public void Parse_NonScalarKey_IsAPolicyError(string yaml, string keyPrefix, int line)
    {
        var result = PolicyParser.Parse(yaml);

        result.IsValid.ShouldBeFalse();
        var error = result.Errors.ShouldHaveSingleItem();
        error.Key.ShouldStartWith(keyPrefix);
        error.Line.ShouldBe(line);
    }

    [Fact]
    public void Parse_NonAsciiDigitsInDuration_IsAPolicyError()
    {
        var result = PolicyParser.Parse("version: 1\nenvironments:\n  production:\n    min_soak: \u0663\u0660m\napps: {}\n");

        result.IsValid.ShouldBeFalse();
        result.Errors.ShouldHaveSingleItem().Key.ShouldBe("environments.production.min_soak");
        PolicyParser.TryParseDuration("\u0663\u0660m", out _).ShouldBeFalse();
    }

    [Fact]
    public void Parse_TaggedRuleKey_IsNotSilentlyIgnored()
    {
        var result = PolicyParser.Parse("version: 1\nenvironments:\n  production:\n    !!str min_approvals: 3\napps: {}\n");

        // Either honour the value or reject the key; never accept the key and drop the value.
        if (result.IsValid)
        {
            result.Policy!.RulesFor("production")!.MinApprovals.ShouldBe(3);
        }
        else
        {
            result.Errors.ShouldHaveSingleItem().Line.ShouldBe(4);
        }
    }

    [Fact]
    public void Parse_TabIndentation_ReportsTheLineOfTheTab()
    {
        PolicyParser.Parse("version: 1\nenvironments:\n\tproduction: {}\napps: {}\n").Errors.ShouldHaveSingleItem().Line.ShouldBe(3);
    }

    [Fact]
    public void Parse_EnvironmentNameWithTrailingNewline_IsInvalid()
    {
        PolicyParser.Parse("version: 1\nenvironments:\n  \"production\\n\": {}\napps: {}\n").Errors.ShouldHaveSingleItem().Key.ShouldStartWith("environments.production");
    }

    private const string Policy = "version: 1\nenvironments:\n  production: {}\napps:\n  app:\n    repository: acme/app\n    pipeline: { type: github-actions, workflow: deploy.yml }\n";

    [Fact]
    public void Parse_WindowsTimeZoneId_IsRefusedAsNotIana()
    {
        var result = PolicyParser.Parse("""
            version: 1
            environments:
              production:
                freeze:
                  - { days: [fri], from: "16:00", to: "23:59", timezone: "GMT Standard Time" }
            apps: {}
            """);

        var error = result.Errors.ShouldHaveSingleItem();
        error.Key.ShouldBe("environments.production.freeze[0].timezone");
        error.Message.ShouldContain("IANA");
    }
}
