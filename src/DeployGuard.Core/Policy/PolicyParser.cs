using System.Globalization;
using System.Text.RegularExpressions;
using DeployGuard.Core.DeployFiles;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DeployGuard.Core.Policy;

/// <summary>One problem in the policy file, with the key and where it is.</summary>
public sealed record PolicyError(string File, int Line, int Column, string Key, string Message)
{
    public override string ToString() =>
        Key.Length == 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: {Key}: {Message}";
}

/// <summary>The policy, or every error found in it.</summary>
public sealed record PolicyParseResult(DeployPolicy? Policy, IReadOnlyList<PolicyError> Errors)
{
    public bool IsValid => Policy is not null;
}

/// <summary>
/// Parses and validates <c>deployguard.yml</c> (SPEC §3). Unknown keys are errors: a typo in a
/// safety policy ("min_aprovals: 2") must not silently leave the default in force.
/// All errors are reported at once, each with the key path and line.
/// </summary>
public static partial class PolicyParser
{
    public const int SupportedVersion = 1;

    private static readonly string[] TopKeys = ["version", "admins", "defaults", "environments", "apps"];

    private static readonly string[] RuleKeys =
    [
        "require_pull_request", "min_approvals", "allow_self_approval", "dismiss_stale_approvals",
        "require_checks", "protect_history", "required_reviewers", "promote_from", "min_soak",
        "independent_review", "freeze", "risk",
    ];

    private static readonly string[] AppKeys = ["repository", "release_branch", "pipeline", "environments"];
    private static readonly string[] PipelineTypes = ["github-actions", "repository-dispatch", "webhook", "command"];

    public static PolicyParseResult Parse(string yaml, string file = DeployLayout.PolicyFileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var reader = new Reader(file);
        YamlNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count > 1)
            {
                reader.Error(stream.Documents[1].RootNode, "", "the policy file must hold a single YAML document");
            }

            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        }
        catch (YamlException ex) when (FirstTabIndentedLine(yaml) is { } tabLine)
        {
            // YamlDotNet reports a tab at the start of the enclosing mapping; point at the tab itself.
            _ = ex;
            return Failed(new PolicyError(file, tabLine, 1, "", "invalid YAML: a tab in the indentation; YAML indents with spaces"));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16 throws this, without a position, when a flow collection is never closed.
            var (line, column) = UnclosedBracket(yaml);
            return Failed(new PolicyError(file, line, column, "", "invalid YAML: this '[' or '{' is never closed"));
        }
        catch (YamlException ex)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            // YamlDotNet prefixes its messages with the marks it also exposes; keep the sentence only.
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith('(') && cut > 0)
            {
                message = message[(cut + 3)..];
            }

            return Failed(new PolicyError(file, (int)ex.Start.Line, (int)ex.Start.Column, "", $"invalid YAML: {message}"));
        }

        if (root is null || (root is YamlScalarNode s && string.IsNullOrEmpty(s.Value)))
        {
            return Failed(new PolicyError(file, 1, 1, "", "the policy file is empty: it needs at least 'version: 1'"));
        }

        var policy = reader.ReadPolicy(root);
        return reader.Errors.Count == 0
            ? new PolicyParseResult(policy, [])
            : new PolicyParseResult(null, reader.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
    }

    /// <summary>Parses "30m", "1h30m", "2d", "45s" or "0".</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        var match = DurationPattern().Match(text);
        if (!match.Success || match.Length == 0)
        {
            return false;
        }

        static long Part(Group g) => g.Success ? long.Parse(g.Value[..^1], CultureInfo.InvariantCulture) : 0;
        try
        {
            duration = TimeSpan.FromDays(Part(match.Groups["d"])) + TimeSpan.FromHours(Part(match.Groups["h"])) +
                       TimeSpan.FromMinutes(Part(match.Groups["m"])) + TimeSpan.FromSeconds(Part(match.Groups["s"]));
            return true;
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>A GitHub user ("alice", "@alice") or team ("@org/team"), normalised: users without '@'.</summary>
    public static bool TryNormalizePrincipal(string text, out string principal)
    {
        principal = text.Trim();
        if (TeamPattern().IsMatch(principal))
        {
            return true;
        }

        var user = principal.StartsWith('@') ? principal[1..] : principal;
        if (UserPattern().IsMatch(user))
        {
            principal = user;
            return true;
        }

        return false;
    }

    private static PolicyParseResult Failed(PolicyError error) => new(null, [error]);

    private static int? FirstTabIndentedLine(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            if (lines[i].AsSpan(0, indent).Contains('\t'))
            {
                return i + 1;
            }
        }

        return null;
    }

    /// <summary>The position of the first '[' or '{' left open, ignoring quoted text and comments.</summary>
    private static (int Line, int Column) UnclosedBracket(string yaml)
    {
        var open = new Stack<(int Line, int Column)>();
        int line = 1, column = 0;
        char? quote = null;
        var comment = false;
        foreach (var c in yaml)
        {
            column++;
            if (c == '\n')
            {
                line++;
                column = 0;
                comment = false;
                continue;
            }

            if (comment)
            {
                continue;
            }

            if (quote is not null)
            {
                quote = c == quote ? null : quote;
                continue;
            }

            switch (c)
            {
                case '"' or '\'':
                    quote = c;
                    break;
                case '#':
                    comment = true;
                    break;
                case '[' or '{':
                    open.Push((line, column));
                    break;
                case ']' or '}' when open.Count > 0:
                    open.Pop();
                    break;
            }
        }

        return open.Count > 0 ? open.Reverse().First() : (line, 1);
    }

    [GeneratedRegex(@"\A(?<d>[0-9]+d)?(?<h>[0-9]+h)?(?<m>[0-9]+m)?(?<s>[0-9]+s)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"\A@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TeamPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\z", RegexOptions.CultureInvariant)]
    private static partial Regex UserPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex EnvVarPattern();

    private sealed class Reader(string file)
    {
        public List<PolicyError> Errors { get; } = [];

        public void Error(YamlNode node, string key, string message) =>
            Errors.Add(new PolicyError(file, (int)node.Start.Line, (int)node.Start.Column, key, message));

        public DeployPolicy? ReadPolicy(YamlNode root)
        {
            if (root is not YamlMappingNode map)
            {
                Error(root, "", "the policy file must be a mapping of keys (version, admins, defaults, environments, apps)");
                return null;
            }

            CheckKeys(map, "", TopKeys);
            var version = Get(map, "version");
            if (version is null)
            {
                Error(map, "version", $"missing: add 'version: {SupportedVersion}' at the top");
            }
            else if (Int(version, "version", 1) is { } v && v != SupportedVersion)
            {
                Error(version, "version", $"version {v} is not supported: this DeployGuard reads version {SupportedVersion}");
            }

            var admins = Get(map, "admins") is { } adminsNode ? Principals(adminsNode, "admins") : [];
            var defaults = Get(map, "defaults") is { } defaultsNode ? Rules(defaultsNode, "defaults", isDefaults: true) : new EnvironmentRules();

            var environments = new Dictionary<string, EnvironmentRules>(StringComparer.Ordinal);
            if (Get(map, "environments") is { } envsNode && Mapping(envsNode, "environments") is { } envs)
            {
                foreach (var (keyNode, valueNode) in envs.Children)
                {
                    if (KeyName(keyNode, "environments") is not { } name)
                    {
                        continue;
                    }

                    if (!DeployLayout.IsValidName(name))
                    {
                        Error(keyNode, $"environments.{name}", $"environment name '{name}' is invalid: {DeployLayout.NameRule}");
                        continue;
                    }

                    environments[name] = Rules(valueNode, $"environments.{name}", isDefaults: false);
                }
            }
            else
            {
                Error(map, "environments", "missing: list the environments this repository deploys to");
            }

            CheckPromotion(envs: environments, map);

            var apps = new Dictionary<string, AppPolicy>(StringComparer.Ordinal);
            if (Get(map, "apps") is { } appsNode && Mapping(appsNode, "apps") is { } appsMap)
            {
                foreach (var (keyNode, valueNode) in appsMap.Children)
                {
                    if (KeyName(keyNode, "apps") is not { } name)
                    {
                        continue;
                    }

                    if (!DeployLayout.IsValidName(name))
                    {
                        Error(keyNode, $"apps.{name}", $"app name '{name}' is invalid: {DeployLayout.NameRule}");
                        continue;
                    }

                    if (App(name, valueNode, environments) is { } app)
                    {
                        apps[name] = app;
                    }
                }
            }
            else
            {
                Error(map, "apps", "missing: list the apps this repository deploys");
            }

            return new DeployPolicy
            {
                Version = SupportedVersion,
                Admins = admins,
                Defaults = defaults,
                Environments = environments,
                Apps = apps,
            };
        }

        private void CheckPromotion(Dictionary<string, EnvironmentRules> envs, YamlMappingNode root)
        {
            var envsNode = Get(root, "environments") as YamlMappingNode;
            foreach (var (name, rules) in envs)
            {
                if (rules.PromoteFrom is not { } from)
                {
                    continue;
                }

                var node = (YamlNode?)(Get(envsNode!, name) is YamlMappingNode m ? Get(m, "promote_from") : null) ?? root;
                if (from == name)
                {
                    Error(node, $"environments.{name}.promote_from", "an environment cannot promote from itself");
                }
                else if (!envs.ContainsKey(from))
                {
                    Error(node, $"environments.{name}.promote_from", $"'{from}' is not an environment of this policy{Suggest(from, envs.Keys)}");
                }
                else
                {
                    // Follow the chain: a cycle would make every environment in it wait forever.
                    var seen = new HashSet<string>(StringComparer.Ordinal) { name };
                    var next = from;
                    while (next is not null && envs.TryGetValue(next, out var nextRules))
                    {
                        if (!seen.Add(next))
                        {
                            Error(node, $"environments.{name}.promote_from", $"promotion order is circular ({string.Join(" <- ", seen)} <- {next})");
                            break;
                        }

                        next = nextRules.PromoteFrom;
                    }
                }
            }
        }

        private EnvironmentRules Rules(YamlNode node, string path, bool isDefaults)
        {
            if (node is YamlScalarNode { Value: null or "" } && node.Tag.IsEmpty)
            {
                return new EnvironmentRules();
            }

            if (Mapping(node, path) is not { } map)
            {
                return new EnvironmentRules();
            }

            CheckKeys(map, path, RuleKeys);
            if (isDefaults && Get(map, "promote_from") is { } promote)
            {
                Error(promote, $"{path}.promote_from", "promote_from belongs to one environment, not to the defaults");
            }

            int? extra = null;
            if (Get(map, "risk") is { } riskNode && Mapping(riskNode, $"{path}.risk") is { } risk)
            {
                CheckKeys(risk, $"{path}.risk", ["extra_approval_above_commits"]);
                extra = Get(risk, "extra_approval_above_commits") is { } e ? Int(e, $"{path}.risk.extra_approval_above_commits", 1) : null;
            }

            return new EnvironmentRules
            {
                RequirePullRequest = OptBool(map, path, "require_pull_request"),
                MinApprovals = Get(map, "min_approvals") is { } n ? Int(n, $"{path}.min_approvals", 0) : null,
                AllowSelfApproval = OptBool(map, path, "allow_self_approval"),
                DismissStaleApprovals = OptBool(map, path, "dismiss_stale_approvals"),
                RequireChecks = OptBool(map, path, "require_checks"),
                ProtectHistory = OptBool(map, path, "protect_history"),
                RequiredReviewers = Get(map, "required_reviewers") is { } r ? Principals(r, $"{path}.required_reviewers") : null,
                PromoteFrom = isDefaults ? null : Get(map, "promote_from") is { } p ? Str(p, $"{path}.promote_from") : null,
                MinSoak = Get(map, "min_soak") is { } soak ? Duration(soak, $"{path}.min_soak") : null,
                IndependentReview = OptBool(map, path, "independent_review"),
                Freeze = Get(map, "freeze") is { } f ? Freeze(f, $"{path}.freeze") : null,
                ExtraApprovalAboveCommits = extra,
            };
        }

        private List<FreezeWindow> Freeze(YamlNode node, string path)
        {
            var windows = new List<FreezeWindow>();
            if (node is not YamlSequenceNode seq)
            {
                Error(node, path, "expected a list of windows, each {start, end} or {days, from, to, timezone}");
                return windows;
            }

            var index = 0;
            foreach (var item in seq.Children)
            {
                var itemPath = $"{path}[{index++}]";
                if (Mapping(item, itemPath) is not { } map)
                {
                    continue;
                }

                CheckKeys(map, itemPath, ["start", "end", "days", "from", "to", "timezone", "reason"]);
                var reason = Get(map, "reason") is { } r ? Str(r, $"{itemPath}.reason") : null;
                var absolute = Get(map, "start") is not null || Get(map, "end") is not null;
                var weekly = Get(map, "days") is not null || Get(map, "from") is not null || Get(map, "to") is not null;
                if (absolute && weekly)
                {
                    Error(map, itemPath, "a window is either {start, end} or {days, from, to}, not both");
                }
                else if (absolute)
                {
                    var start = Instant(map, itemPath, "start");
                    var end = Instant(map, itemPath, "end");
                    if (start is { } s && end is { } e)
                    {
                        if (e <= s)
                        {
                            Error(Get(map, "end")!, $"{itemPath}.end", "the window must end after it starts");
                        }
                        else
                        {
                            windows.Add(new AbsoluteFreezeWindow(s, e, reason));
                        }
                    }
                }
                else if (weekly)
                {
                    if (Weekly(map, itemPath, reason) is { } w)
                    {
                        windows.Add(w);
                    }
                }
                else
                {
                    Error(map, itemPath, "a window needs {start, end} or {days, from, to}");
                }
            }

            return windows;
        }

        private WeeklyFreezeWindow? Weekly(YamlMappingNode map, string path, string? reason)
        {
            var days = new List<DayOfWeek>();
            if (Get(map, "days") is not { } daysNode)
            {
                Error(map, $"{path}.days", "missing: the days of the week, like [fri] or [sat, sun]");
            }
            else if (daysNode is not YamlSequenceNode daySeq)
            {
                Error(daysNode, $"{path}.days", "expected a list of days, like [fri] or [sat, sun]");
            }
            else
            {
                foreach (var day in daySeq.Children)
                {
                    var text = Str(day, $"{path}.days");
                    if (text is not null && ParseDay(text) is { } d)
                    {
                        days.Add(d);
                    }
                    else if (text is not null)
                    {
                        Error(day, $"{path}.days", $"'{text}' is not a day: use mon, tue, wed, thu, fri, sat or sun");
                    }
                }
            }

            var from = Time(map, path, "from");
            var to = Time(map, path, "to");
            var zone = Get(map, "timezone") is { } z ? Str(z, $"{path}.timezone") : "UTC";
            if (zone is not null && (!TimeZoneInfo.TryConvertIanaIdToWindowsId(zone, out _) || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _)))
            {
                Error(Get(map, "timezone")!, $"{path}.timezone", $"'{zone}' is not a known IANA time zone, like Europe/London or America/New_York");
                zone = null;
            }

            if (from == to && from is not null)
            {
                Error(Get(map, "to")!, $"{path}.to", "the window is empty: 'from' and 'to' are the same time");
                return null;
            }

            return from is { } f && to is { } t && zone is not null && days.Count > 0
                ? new WeeklyFreezeWindow(days, f, t, zone, reason)
                : null;
        }

        private static DayOfWeek? ParseDay(string text) => text.ToLowerInvariant() switch
        {
            "mon" or "monday" => DayOfWeek.Monday,
            "tue" or "tuesday" => DayOfWeek.Tuesday,
            "wed" or "wednesday" => DayOfWeek.Wednesday,
            "thu" or "thursday" => DayOfWeek.Thursday,
            "fri" or "friday" => DayOfWeek.Friday,
            "sat" or "saturday" => DayOfWeek.Saturday,
            "sun" or "sunday" => DayOfWeek.Sunday,
            _ => null,
        };

        private TimeOnly? Time(YamlMappingNode map, string path, string key)
        {
            if (Get(map, key) is not { } node)
            {
                Error(map, $"{path}.{key}", "missing: a time of day as HH:mm, like \"16:00\"");
                return null;
            }

            var text = Str(node, $"{path}.{key}");
            if (text == "24:00")
            {
                return TimeOnly.MaxValue;
            }

            if (text is not null && TimeOnly.TryParseExact(text, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                return time;
            }

            if (text is not null)
            {
                Error(node, $"{path}.{key}", $"'{text}' is not a time of day: use HH:mm, like \"16:00\"");
            }

            return null;
        }

        private DateTimeOffset? Instant(YamlMappingNode map, string path, string key)
        {
            if (Get(map, key) is not { } node)
            {
                Error(map, $"{path}.{key}", "missing: an instant like \"2026-12-20T00:00:00Z\"");
                return null;
            }

            var text = Str(node, $"{path}.{key}");
            if (text is null)
            {
                return null;
            }

            // An instant without an offset would mean different moments on different servers.
            var hasZone = text.EndsWith('Z') || text.EndsWith('z') || OffsetPattern().IsMatch(text);
            if (hasZone && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                return value;
            }

            Error(node, $"{path}.{key}", $"'{text}' is not an instant with a time zone: use ISO 8601 like \"2026-12-20T00:00:00Z\"");
            return null;
        }

        private AppPolicy? App(string name, YamlNode node, Dictionary<string, EnvironmentRules> environments)
        {
            var path = $"apps.{name}";
            if (Mapping(node, path) is not { } map)
            {
                return null;
            }

            CheckKeys(map, path, AppKeys);
            string? repository = null;
            if (Get(map, "repository") is not { } repoNode)
            {
                Error(map, $"{path}.repository", "missing: the GitHub repository of the app's source, as owner/name");
            }
            else if (Str(repoNode, $"{path}.repository") is { } repo)
            {
                if (RepositoryPattern().IsMatch(repo))
                {
                    repository = repo;
                }
                else
                {
                    Error(repoNode, $"{path}.repository", $"'{repo}' is not a GitHub repository: use owner/name, like acme/app");
                }
            }

            var releaseBranch = Get(map, "release_branch") is { } b ? Str(b, $"{path}.release_branch") : "main";
            if (releaseBranch is { Length: 0 })
            {
                Error(Get(map, "release_branch")!, $"{path}.release_branch", "must name a branch");
            }

            PipelineSpec? pipeline = null;
            if (Get(map, "pipeline") is not { } pipeNode)
            {
                Error(map, $"{path}.pipeline", "missing: how this app is deployed (type: github-actions, repository-dispatch, webhook or command)");
            }
            else
            {
                pipeline = Pipeline(pipeNode, $"{path}.pipeline", repository, releaseBranch);
            }

            var overrides = new Dictionary<string, PipelineSpec>(StringComparer.Ordinal);
            if (Get(map, "environments") is { } envsNode && Mapping(envsNode, $"{path}.environments") is { } envs)
            {
                foreach (var (keyNode, valueNode) in envs.Children)
                {
                    if (KeyName(keyNode, $"{path}.environments") is not { } env)
                    {
                        continue;
                    }

                    var envPath = $"{path}.environments.{env}";
                    if (!environments.ContainsKey(env))
                    {
                        Error(keyNode, envPath, $"'{env}' is not an environment of this policy{Suggest(env, environments.Keys)}");
                        continue;
                    }

                    if (Mapping(valueNode, envPath) is not { } envMap)
                    {
                        continue;
                    }

                    CheckKeys(envMap, envPath, ["pipeline"]);
                    if (Get(envMap, "pipeline") is { } p && Pipeline(p, $"{envPath}.pipeline", repository, releaseBranch) is { } spec)
                    {
                        overrides[env] = spec;
                    }
                }
            }

            return repository is null || pipeline is null || releaseBranch is null or { Length: 0 }
                ? null
                : new AppPolicy
                {
                    Name = name,
                    Repository = repository,
                    ReleaseBranch = releaseBranch,
                    Pipeline = pipeline,
                    EnvironmentPipelines = overrides,
                };
        }

        private PipelineSpec? Pipeline(YamlNode node, string path, string? appRepository, string? releaseBranch)
        {
            if (Mapping(node, path) is not { } map)
            {
                return null;
            }

            if (Get(map, "type") is not { } typeNode)
            {
                Error(map, $"{path}.type", $"missing: one of {string.Join(", ", PipelineTypes)}");
                return null;
            }

            var typeText = Str(typeNode, $"{path}.type");
            PipelineType? type = typeText switch
            {
                "github-actions" => PipelineType.GitHubActions,
                "repository-dispatch" => PipelineType.RepositoryDispatch,
                "webhook" => PipelineType.Webhook,
                "command" => PipelineType.Command,
                _ => null,
            };
            if (type is null)
            {
                if (typeText is not null)
                {
                    Error(typeNode, $"{path}.type", $"'{typeText}' is not a pipeline type: use one of {string.Join(", ", PipelineTypes)}{Suggest(typeText, PipelineTypes)}");
                }

                return null;
            }

            string[] allowed = type switch
            {
                PipelineType.GitHubActions => ["type", "workflow", "ref", "repository"],
                PipelineType.RepositoryDispatch => ["type", "repository"],
                PipelineType.Webhook => ["type", "url", "secret_env"],
                _ => ["type", "command", "timeout"],
            };
            CheckKeys(map, path, allowed, $"a {typeText} pipeline");

            var repository = appRepository;
            if (Get(map, "repository") is { } repoNode && Str(repoNode, $"{path}.repository") is { } repo)
            {
                if (RepositoryPattern().IsMatch(repo))
                {
                    repository = repo;
                }
                else
                {
                    Error(repoNode, $"{path}.repository", $"'{repo}' is not a GitHub repository: use owner/name");
                }
            }

            switch (type)
            {
                case PipelineType.GitHubActions:
                    var workflow = Required(map, path, "workflow", "the workflow file name or id, like deploy.yml");
                    var gitRef = Get(map, "ref") is { } refNode ? Str(refNode, $"{path}.ref") : releaseBranch;
                    return workflow is null ? null : new PipelineSpec { Type = type.Value, Repository = repository, Workflow = workflow, Ref = gitRef ?? "main" };

                case PipelineType.RepositoryDispatch:
                    return new PipelineSpec { Type = type.Value, Repository = repository };

                case PipelineType.Webhook:
                    Uri? url = null;
                    if (Required(map, path, "url", "the URL that receives the deploy") is { } urlText)
                    {
                        if (Uri.TryCreate(urlText, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(u.UserInfo))
                        {
                            url = u;
                        }
                        else
                        {
                            Error(Get(map, "url")!, $"{path}.url", "expected an absolute http(s) URL without credentials in it");
                        }
                    }

                    string? secretEnv = null;
                    if (Get(map, "secret_env") is not { } secretNode)
                    {
                        Error(map, $"{path}.secret_env", "missing: deliveries are always signed; name the environment variable that holds the secret");
                    }
                    else if (Str(secretNode, $"{path}.secret_env") is { } name)
                    {
                        if (EnvVarPattern().IsMatch(name))
                        {
                            secretEnv = name;
                        }
                        else
                        {
                            Error(secretNode, $"{path}.secret_env", "expected the name of an environment variable (letters, digits, '_'), not the secret itself");
                        }
                    }

                    return url is null || secretEnv is null ? null : new PipelineSpec { Type = type.Value, Url = url, SecretEnv = secretEnv };

                default:
                    IReadOnlyList<string>? command = null;
                    if (Get(map, "command") is not { } commandNode)
                    {
                        Error(map, $"{path}.command", "missing: the program to run, as a path or a list [program, arg, ...]");
                    }
                    else if (commandNode is YamlScalarNode { Value: { Length: > 0 } program })
                    {
                        command = [program];
                    }
                    else if (commandNode is YamlSequenceNode seq && seq.Children.Count > 0)
                    {
                        var parts = seq.Children.Select(c => Str(c, $"{path}.command")).ToList();
                        command = parts.All(p => p is not null) ? parts.Select(p => p!).ToList() : null;
                    }
                    else
                    {
                        Error(commandNode, $"{path}.command", "expected a program path or a non-empty list [program, arg, ...]; no shell is involved");
                    }

                    var timeout = Get(map, "timeout") is { } t ? Duration(t, $"{path}.timeout") : PipelineSpec.DefaultCommandTimeout;
                    if (timeout == TimeSpan.Zero)
                    {
                        Error(Get(map, "timeout")!, $"{path}.timeout", "a command needs a timeout greater than zero");
                    }

                    return command is null || timeout is null ? null : new PipelineSpec { Type = type.Value, Command = command, Timeout = timeout };
            }
        }

        private string? Required(YamlMappingNode map, string path, string key, string what)
        {
            if (Get(map, key) is not { } node)
            {
                Error(map, $"{path}.{key}", $"missing: {what}");
                return null;
            }

            var value = Str(node, $"{path}.{key}");
            if (value is { Length: 0 })
            {
                Error(node, $"{path}.{key}", $"must not be empty: {what}");
                return null;
            }

            return value;
        }

        private List<string> Principals(YamlNode node, string path)
        {
            var result = new List<string>();
            if (node is not YamlSequenceNode seq)
            {
                Error(node, path, "expected a list of users or @org/team names, like [\"@acme/ops\", alice]");
                return result;
            }

            foreach (var item in seq.Children)
            {
                if (Str(item, path) is not { } text)
                {
                    continue;
                }

                if (TryNormalizePrincipal(text, out var principal))
                {
                    result.Add(principal);
                }
                else
                {
                    Error(item, path, $"'{text}' is neither a GitHub user (alice) nor a team (@org/team)");
                }
            }

            return result;
        }

        private TimeSpan? Duration(YamlNode node, string path)
        {
            var text = Str(node, path);
            if (text is null)
            {
                return null;
            }

            if (TryParseDuration(text, out var duration))
            {
                return duration;
            }

            Error(node, path, $"'{text}' is not a duration: use a number with a unit, like 45s, 30m, 2h, 1d or 1h30m");
            return null;
        }

        private bool? OptBool(YamlMappingNode map, string path, string key)
        {
            if (Get(map, key) is not { } node)
            {
                return null;
            }

            var text = Str(node, $"{path}.{key}");
            switch (text)
            {
                case "true": return true;
                case "false": return false;
                case null: return null;
                default:
                    // YAML 1.1 read yes/no/on/off as booleans; be explicit rather than guess.
                    Error(node, $"{path}.{key}", $"expected true or false, got '{text}'");
                    return null;
            }
        }

        private int? Int(YamlNode node, string path, int min)
        {
            var text = Str(node, path);
            if (text is null)
            {
                return null;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min)
            {
                return value;
            }

            Error(node, path, $"expected a whole number of at least {min}, got '{text}'");
            return null;
        }

        private string? Str(YamlNode node, string path)
        {
            if (node is YamlScalarNode scalar)
            {
                return scalar.Value ?? "";
            }

            Error(node, path, "expected a single value, not a list or mapping");
            return null;
        }

        private YamlMappingNode? Mapping(YamlNode node, string path)
        {
            if (node is YamlMappingNode map)
            {
                return map;
            }

            Error(node, path, "expected a mapping of keys");
            return null;
        }

        private string? KeyName(YamlNode keyNode, string path)
        {
            if (keyNode is YamlScalarNode { Value: { } value })
            {
                return value;
            }

            Error(keyNode, path, "a key must be a plain name, not a list or mapping");
            return null;
        }

        private void CheckKeys(YamlMappingNode map, string path, string[] allowed, string? context = null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var keyNode in map.Children.Keys)
            {
                if (KeyName(keyNode, path) is not { } key)
                {
                    continue;
                }

                if (!seen.Add(key))
                {
                    Error(keyNode, path.Length == 0 ? key : $"{path}.{key}", $"duplicate key '{key}'");
                    continue;
                }

                if (allowed.Contains(key, StringComparer.Ordinal))
                {
                    continue;
                }

                var full = path.Length == 0 ? key : $"{path}.{key}";
                var where = context is null ? (path.Length == 0 ? "at the top level" : $"in {path}") : $"for {context}";
                Error(keyNode, full, $"unknown key '{key}' {where}{Suggest(key, allowed)}; allowed: {string.Join(", ", allowed)}");
            }
        }

        /// <summary>
        /// The value of <paramref name="key"/>, matched by text: a tag (<c>!!str min_approvals</c>)
        /// must not hide a rule from the parser while the key check accepts it.
        /// </summary>
        private static YamlNode? Get(YamlMappingNode map, string key)
        {
            foreach (var (keyNode, value) in map.Children)
            {
                if (keyNode is YamlScalarNode { Value: { } text } && string.Equals(text, key, StringComparison.Ordinal))
                {
                    return value;
                }
            }

            return null;
        }
    }

    private static string Suggest(string given, IEnumerable<string> options)
    {
        var best = options
            .Select(o => (Option: o, Distance: Levenshtein(given, o)))
            .Where(x => x.Distance <= Math.Max(2, x.Option.Length / 4))
            .OrderBy(x => x.Distance)
            .FirstOrDefault();
        return best.Option is null ? "" : $" (did you mean '{best.Option}'?)";
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    [GeneratedRegex(@"[+-][0-9]{2}:?[0-9]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetPattern();
}
