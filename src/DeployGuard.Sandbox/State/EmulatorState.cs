namespace DeployGuard.Sandbox;

/// <summary>
/// What the emulated GitHub knows: tokens, repositories (backed by real git repositories on disk),
/// pull requests, reviews, permissions, teams, GitHub App installations, workflows with the runs
/// dispatched to them, the repository dispatches received, and the commit statuses and check runs
/// reported on commits. Safe to seed and inspect from any thread while requests are being served.
/// Logins, repository names and organisations compare case-insensitively, as on GitHub; workflow
/// file names, like git paths, do not.
/// </summary>
public sealed partial class EmulatorState
{
    private static readonly HashSet<string> Permissions = new(StringComparer.Ordinal) { "admin", "maintain", "write", "triage", "read", "none" };
    private static readonly HashSet<string> ReviewStates = new(StringComparer.Ordinal) { "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING" };

    /// <summary>The conclusions of GitHub's <c>workflow-run</c> (and check-suite) schema.</summary>
    private static readonly HashSet<string> Conclusions = new(StringComparer.Ordinal)
    {
        "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required", "stale", "startup_failure",
    };

    /// <summary>The states of GitHub's <c>status</c> schema (a commit status as posted).</summary>
    private static readonly HashSet<string> StatusStates = new(StringComparer.Ordinal) { "success", "pending", "failure", "error" };

    /// <summary>The statuses of GitHub's <c>check-run</c> schema.</summary>
    private static readonly HashSet<string> CheckRunStatuses = new(StringComparer.Ordinal)
    {
        "queued", "in_progress", "completed", "waiting", "requested", "pending",
    };

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, TokenRecord> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RepositoryData> _repositories = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _emails = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> _userIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> _teamIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TeamMembershipRecord> _teamMembers = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _organizations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> _labelIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<long, AppInstallationRecord> _installations = [];
    private long _nextUserId = 1;
    private long _nextRepositoryId = 1296269;
    private long _nextPullRequestId = 1;
    private long _nextReviewId = 80;
    private long _nextTeamId = 1;
    private long _nextLabelId = 208045946;
    private long _nextWorkflowId = 159038;
    private long _nextRunId = 30433642;
    private long _nextStatusId = 1;
    private long _nextCheckRunId = 4;

    internal EmulatorState(TimeProvider time) => _time = time;

    /// <summary>
    /// A token the API accepts as <c>Authorization: Bearer &lt;token&gt;</c> or <c>token &lt;token&gt;</c>,
    /// acting as <paramref name="login"/>. It never expires.
    /// </summary>
    public void AddToken(string token, string login = "deployguard[bot]")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        lock (_lock)
        {
            _tokens[token] = new TokenRecord(login, null);
        }
    }

    /// <summary>Backs <paramref name="fullName"/> ("owner/name") with a git repository on disk, bare or not.</summary>
    public void AddRepository(string fullName, string gitDirectory)
    {
        CheckRepositoryName(fullName);
        ArgumentException.ThrowIfNullOrWhiteSpace(gitDirectory);
        if (!Directory.Exists(gitDirectory))
        {
            throw new DirectoryNotFoundException($"git directory for {fullName} not found: {gitDirectory}");
        }

        lock (_lock)
        {
            var data = Repository(fullName);
            data.Record = data.Record with { GitDirectory = Path.GetFullPath(gitDirectory) };
        }
    }

    /// <summary>Maps a git author or committer email to the GitHub login shown in commit <c>author</c>/<c>committer</c> objects.</summary>
    public void MapEmail(string email, string login)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        lock (_lock)
        {
            _emails[email.Trim()] = login;
        }
    }

    /// <summary>Sets a user's role on a repository: admin, maintain, write, triage, read or none.</summary>
    public void SetPermission(string repository, string user, string permission)
    {
        CheckRepositoryName(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(permission);
        if (!Permissions.Contains(permission))
        {
            throw new ArgumentException($"unknown permission '{permission}': use admin, maintain, write, triage, read or none", nameof(permission));
        }

        lock (_lock)
        {
            Repository(repository).Permissions[user] = permission;
        }
    }

    /// <summary>Adds <paramref name="user"/> to team <paramref name="teamSlug"/> of <paramref name="organization"/>; role member|maintainer, state active|pending.</summary>
    public void AddTeamMember(string organization, string teamSlug, string user, string role = "member", string state = "active")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(organization);
        ArgumentException.ThrowIfNullOrWhiteSpace(teamSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        if (role is not ("member" or "maintainer"))
        {
            throw new ArgumentException($"unknown team role '{role}': use member or maintainer", nameof(role));
        }

        if (state is not ("active" or "pending"))
        {
            throw new ArgumentException($"unknown membership state '{state}': use active or pending", nameof(state));
        }

        lock (_lock)
        {
            var teamKey = $"{organization}/{teamSlug}";
            if (!_teamIds.TryGetValue(teamKey, out var teamId))
            {
                teamId = _nextTeamId++;
                _teamIds[teamKey] = teamId;
            }

            _organizations.Add(organization);
            _teamMembers[$"{teamKey}/{user}"] = new TeamMembershipRecord(teamId, role, state);
        }
    }

    /// <summary>
    /// Seeds a pull request and returns its number. The repository need not be backed by git for
    /// <c>pulls/{n}</c> and its reviews; the endpoints that read commits answer 409 "Git Repository
    /// is empty." until <see cref="AddRepository"/> is called, as GitHub does for an empty repository.
    /// </summary>
    public int AddPullRequest(string repository, PullRequestSeed seed)
    {
        CheckRepositoryName(repository);
        ArgumentNullException.ThrowIfNull(seed);
        lock (_lock)
        {
            var data = Repository(repository);
            var number = seed.Number ?? data.NextNumber;
            if (number < 1)
            {
                throw new ArgumentException($"pull request number must be positive (was {number})", nameof(seed));
            }

            if (data.Pulls.ContainsKey(number))
            {
                throw new InvalidOperationException($"{repository} already has pull request #{number}");
            }

            var now = _time.GetUtcNow();
            var normalized = Normalize(seed with { Number = number }, now);
            data.Pulls[number] = new PullRequestRecord(data.Record.FullName, _nextPullRequestId++, normalized, now, now,
                normalized.State == "closed" ? normalized.MergedAt ?? now : null);
            data.NextNumber = Math.Max(data.NextNumber, number + 1);
            data.Reviews[number] = [];
            foreach (var label in normalized.Labels)
            {
                LabelId(data.Record.FullName, label);
            }

            return number;
        }
    }

    /// <summary>Adds a review; reviews are listed in the order they were added. Returns the review id.</summary>
    public long AddReview(string repository, int number, ReviewSeed seed)
    {
        CheckRepositoryName(repository);
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentException.ThrowIfNullOrWhiteSpace(seed.User);
        ArgumentException.ThrowIfNullOrWhiteSpace(seed.CommitId);
        if (!ReviewStates.Contains(seed.State))
        {
            throw new ArgumentException($"unknown review state '{seed.State}': use APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING", nameof(seed));
        }

        lock (_lock)
        {
            var reviews = ExistingPullRequest(repository, number).Reviews[number];
            var id = _nextReviewId++;
            var submittedAt = seed.State == "PENDING" ? (DateTimeOffset?)null : seed.SubmittedAt ?? _time.GetUtcNow();
            reviews.Add(new ReviewRecord(id, number, seed with { CommitId = seed.CommitId.ToLowerInvariant() }, submittedAt));
            return id;
        }
    }

    /// <summary>Changes a seeded pull request, e.g. <c>pr => pr with { Merged = true, MergeCommitSha = sha }</c>. The number cannot change.</summary>
    public void SetPullRequest(string repository, int number, Func<PullRequestSeed, PullRequestSeed> change)
    {
        CheckRepositoryName(repository);
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            var data = ExistingPullRequest(repository, number);
            var current = data.Pulls[number];
            var now = _time.GetUtcNow();
            var changed = Normalize(change(current.Seed) with { Number = number }, now);
            foreach (var label in changed.Labels)
            {
                LabelId(data.Record.FullName, label);
            }

            var closedAt = changed.State == "closed" ? current.ClosedAt ?? changed.MergedAt ?? now : (DateTimeOffset?)null;
            data.Pulls[number] = current with { Seed = changed, UpdatedAt = now, ClosedAt = closedAt };
        }
    }

    /// <summary>
    /// Registers a GitHub App installation: <c>POST /app/installations/{installationId}/access_tokens</c>
    /// accepts a JWT signed (RS256) with the private key of <paramref name="publicKeyPem"/> and issued by <paramref name="appId"/>.
    /// </summary>
    public void RegisterAppInstallation(long appId, string publicKeyPem, long installationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(publicKeyPem);
        using (var rsa = System.Security.Cryptography.RSA.Create())
        {
            // Fail at seeding, not at the first request, when the PEM is not a public key.
            rsa.ImportFromPem(publicKeyPem);
        }

        lock (_lock)
        {
            _installations[installationId] = new AppInstallationRecord(installationId, appId, publicKeyPem);
        }
    }

    /// <summary>
    /// Seeds a workflow file (e.g. <c>deploy.yml</c>) that <c>POST …/actions/workflows/{file or id}/dispatches</c>
    /// accepts. Seeding the same file again replaces its settings for runs dispatched from then on; its id stays.
    /// Returns the workflow's numeric id.
    /// </summary>
    public long AddWorkflow(string repository, string fileName, WorkflowSeed? seed = null)
    {
        CheckRepositoryName(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        if (fileName.Contains('/', StringComparison.Ordinal) || fileName is "." or "..")
        {
            throw new ArgumentException($"workflow must be a file name such as deploy.yml (was '{fileName}')", nameof(fileName));
        }

        seed ??= new WorkflowSeed();
        CheckConclusion(seed.Conclusion, nameof(seed));
        ArgumentOutOfRangeException.ThrowIfNegative(seed.PollsBeforeCompletion, nameof(seed));
        lock (_lock)
        {
            var workflows = Repository(repository).Workflows;
            var id = workflows.TryGetValue(fileName, out var existing) ? existing.Id : _nextWorkflowId++;
            workflows[fileName] = new WorkflowRecord(id, fileName, seed);
            return id;
        }
    }

    /// <summary>Completes a run now with <paramref name="conclusion"/>, whatever its workflow's seed said.</summary>
    public void CompleteRun(string repository, long runId, string conclusion)
    {
        CheckRepositoryName(repository);
        CheckConclusion(conclusion, nameof(conclusion));
        lock (_lock)
        {
            var run = _repositories.GetValueOrDefault(repository)?.Runs.Find(r => r.Record.Id == runId)
                ?? throw new InvalidOperationException($"{repository} has no workflow run {runId}");
            run.Record = run.Record with { Status = "completed", Conclusion = conclusion, UpdatedAt = _time.GetUtcNow() };
        }
    }

    /// <summary>The runs dispatched to <paramref name="repository"/>'s workflows, oldest first, as they stand now.</summary>
    public IReadOnlyList<WorkflowRunInfo> WorkflowRuns(string repository)
    {
        lock (_lock)
        {
            return _repositories.TryGetValue(repository, out var data)
                ? [.. data.Runs.Select(r => r.Record).Select(r => new WorkflowRunInfo(
                    r.Id, r.Workflow.FileName, r.Ref, r.Inputs, r.DisplayTitle, r.Status, r.Conclusion, r.CreatedAt))]
                : [];
        }
    }

    /// <summary>The <c>repository_dispatch</c> events <paramref name="repository"/> received, oldest first.</summary>
    public IReadOnlyList<RepositoryDispatchInfo> RepositoryDispatches(string repository)
    {
        lock (_lock)
        {
            return _repositories.TryGetValue(repository, out var data) ? [.. data.Dispatches] : [];
        }
    }

    /// <summary>
    /// Reports a commit status on <paramref name="sha"/> (a full commit id), as <c>POST …/statuses/{sha}</c> does:
    /// state success, pending, failure or error. Every report is kept; the combined status shows the latest one of
    /// each <paramref name="context"/>, so a later report for the same context replaces the earlier there.
    /// </summary>
    public void AddStatus(string repository, string sha, string context, string state, string? description = null, string? targetUrl = null)
    {
        CheckRepositoryName(repository);
        sha = CheckSha(sha);
        ArgumentException.ThrowIfNullOrWhiteSpace(context);
        if (state is null || !StatusStates.Contains(state))
        {
            throw new ArgumentException($"unknown status state '{state}': use success, pending, failure or error", nameof(state));
        }

        lock (_lock)
        {
            Repository(repository).Statuses.Add(new StatusRecord(_nextStatusId++, sha, context, state, description, targetUrl, _time.GetUtcNow()));
        }
    }

    /// <summary>
    /// Creates a check run named <paramref name="name"/> on <paramref name="sha"/> (a full commit id) and returns its
    /// id. <paramref name="status"/> is queued, in_progress, completed, waiting, requested or pending; a completed run
    /// needs a <paramref name="conclusion"/> (success, failure, neutral, cancelled, skipped, timed_out,
    /// action_required, stale…), any other has none. Runs come from the GitHub Actions app.
    /// </summary>
    public long AddCheckRun(string repository, string sha, string name, string status, string? conclusion = null)
    {
        CheckRepositoryName(repository);
        sha = CheckSha(sha);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        CheckRunState(status, conclusion);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var id = _nextCheckRunId++;
            Repository(repository).CheckRuns.Add(new CheckRunRecord(id, sha, name, status, conclusion, now, status == "completed" ? now : null));
            return id;
        }
    }

    /// <summary>Moves check run <paramref name="id"/> on, e.g. to <c>completed</c> with a conclusion, as its app would.</summary>
    public void SetCheckRun(string repository, long id, string status, string? conclusion = null)
    {
        CheckRepositoryName(repository);
        CheckRunState(status, conclusion);
        lock (_lock)
        {
            var runs = _repositories.GetValueOrDefault(repository)?.CheckRuns;
            var index = runs?.FindIndex(r => r.Id == id) ?? -1;
            if (runs is null || index < 0)
            {
                throw new InvalidOperationException($"{repository} has no check run {id}: create it with AddCheckRun first");
            }

            var run = runs[index];
            runs[index] = run with
            {
                Status = status,
                Conclusion = conclusion,
                CompletedAt = status == "completed" ? run.CompletedAt ?? _time.GetUtcNow() : null,
            };
        }
    }

    // ---- reads for the endpoints -------------------------------------------------------------

    internal TokenRecord? FindToken(string token)
    {
        lock (_lock)
        {
            return _tokens.GetValueOrDefault(token);
        }
    }

    internal void AddExpiringToken(string token, string login, DateTimeOffset expiresAt)
    {
        lock (_lock)
        {
            _tokens[token] = new TokenRecord(login, expiresAt);
        }
    }

    internal RepositoryRecord? FindRepository(string fullName)
    {
        lock (_lock)
        {
            return _repositories.GetValueOrDefault(fullName)?.Record;
        }
    }

    internal PullRequestRecord? FindPullRequest(string repository, int number)
    {
        lock (_lock)
        {
            return _repositories.GetValueOrDefault(repository)?.Pulls.GetValueOrDefault(number);
        }
    }

    internal IReadOnlyList<PullRequestRecord> ListPullRequests(string repository)
    {
        lock (_lock)
        {
            return _repositories.TryGetValue(repository, out var data) ? [.. data.Pulls.Values] : [];
        }
    }

    internal IReadOnlyList<ReviewRecord> ListReviews(string repository, int number)
    {
        lock (_lock)
        {
            return _repositories.TryGetValue(repository, out var data) && data.Reviews.TryGetValue(number, out var reviews) ? [.. reviews] : [];
        }
    }

    internal string? FindPermission(string repository, string user)
    {
        lock (_lock)
        {
            return _repositories.GetValueOrDefault(repository)?.Permissions.GetValueOrDefault(user);
        }
    }

    internal TeamMembershipRecord? FindTeamMembership(string organization, string teamSlug, string user)
    {
        lock (_lock)
        {
            return _teamMembers.GetValueOrDefault($"{organization}/{teamSlug}/{user}");
        }
    }

    internal bool IsOrganization(string login)
    {
        lock (_lock)
        {
            return _organizations.Contains(login);
        }
    }

    internal string? LoginForEmail(string email)
    {
        lock (_lock)
        {
            return _emails.GetValueOrDefault(email.Trim());
        }
    }

    internal AppInstallationRecord? FindInstallation(long installationId)
    {
        lock (_lock)
        {
            return _installations.GetValueOrDefault(installationId);
        }
    }

    /// <summary>The public key of an app, from any of its installations (one key per app).</summary>
    internal string? FindAppPublicKey(long appId)
    {
        lock (_lock)
        {
            return _installations.Values.LastOrDefault(i => i.AppId == appId)?.PublicKeyPem;
        }
    }

    /// <summary>A stable numeric id per login, handed out on first sight, as GitHub's user ids are stable.</summary>
    internal long UserId(string login)
    {
        lock (_lock)
        {
            if (!_userIds.TryGetValue(login, out var id))
            {
                id = _nextUserId++;
                _userIds[login] = id;
            }

            return id;
        }
    }

    internal long LabelId(string repository, string label)
    {
        lock (_lock)
        {
            var key = $"{repository}:{label}";
            if (!_labelIds.TryGetValue(key, out var id))
            {
                id = _nextLabelId++;
                _labelIds[key] = id;
            }

            return id;
        }
    }

    /// <summary>A workflow by file name (case-sensitive, as git paths are) or by numeric id, as GitHub accepts both.</summary>
    internal WorkflowRecord? FindWorkflow(string repository, string workflowId)
    {
        lock (_lock)
        {
            if (!_repositories.TryGetValue(repository, out var data))
            {
                return null;
            }

            return data.Workflows.GetValueOrDefault(workflowId)
                ?? (long.TryParse(workflowId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
                    ? data.Workflows.Values.FirstOrDefault(w => w.Id == id)
                    : null);
        }
    }

    /// <summary>Records a dispatched run: <c>queued</c>, or <c>completed</c> at once when its workflow polls 0 times.</summary>
    internal WorkflowRunRecord CreateRun(
        string repository, WorkflowRecord workflow, string @ref, string headBranch, string headSha, IReadOnlyList<KeyValuePair<string, string>> inputs, string actor)
    {
        lock (_lock)
        {
            var data = Repository(repository);

            // The workflow as seeded now: a re-seed between lookup and dispatch applies to this run.
            workflow = data.Workflows.GetValueOrDefault(workflow.FileName) ?? workflow;
            var now = _time.GetUtcNow();
            var completed = workflow.Seed.PollsBeforeCompletion == 0;
            var record = new WorkflowRunRecord(
                _nextRunId++,
                data.Runs.Count(r => r.Record.Workflow.Id == workflow.Id) + 1,
                workflow,
                @ref,
                headBranch,
                headSha,
                inputs,
                DisplayTitle(workflow, inputs),
                actor,
                completed ? "completed" : "queued",
                completed ? workflow.Seed.Conclusion : null,
                now,
                now);
            data.Runs.Add(new RunState(record));
            return record;
        }
    }

    internal IReadOnlyList<WorkflowRunRecord> ListRuns(string repository)
    {
        lock (_lock)
        {
            return _repositories.TryGetValue(repository, out var data) ? [.. data.Runs.Select(r => r.Record)] : [];
        }
    }

    /// <summary>A run as one read shows it, moving it on: the first <see cref="WorkflowSeed.PollsBeforeCompletion"/> reads see it in progress, the next completed.</summary>
    internal WorkflowRunRecord? ReadRun(string repository, long runId)
    {
        lock (_lock)
        {
            if (_repositories.GetValueOrDefault(repository)?.Runs.Find(r => r.Record.Id == runId) is not { } run)
            {
                return null;
            }

            if (run.Record.Status != "completed")
            {
                run.Reads++;
                var status = run.Reads > run.Record.Workflow.Seed.PollsBeforeCompletion ? "completed" : "in_progress";
                if (status != run.Record.Status)
                {
                    run.Record = run.Record with
                    {
                        Status = status,
                        Conclusion = status == "completed" ? run.Record.Workflow.Seed.Conclusion : null,
                        UpdatedAt = _time.GetUtcNow(),
                    };
                }
            }

            return run.Record;
        }
    }

    /// <summary>Every status reported on <paramref name="sha"/>, oldest first.</summary>
    internal IReadOnlyList<StatusRecord> ListStatuses(string repository, string sha)
    {
        lock (_lock)
        {
            return _repositories.TryGetValue(repository, out var data)
                ? [.. data.Statuses.Where(s => string.Equals(s.Sha, sha, StringComparison.OrdinalIgnoreCase))]
                : [];
        }
    }

    /// <summary>Every check run on <paramref name="sha"/>, oldest first.</summary>
    internal IReadOnlyList<CheckRunRecord> ListCheckRuns(string repository, string sha)
    {
        lock (_lock)
        {
            return _repositories.TryGetValue(repository, out var data)
                ? [.. data.CheckRuns.Where(r => string.Equals(r.HeadSha, sha, StringComparison.OrdinalIgnoreCase))]
                : [];
        }
    }

    internal void AddRepositoryDispatch(string repository, string eventType, IReadOnlyList<KeyValuePair<string, string>> clientPayload)
    {
        lock (_lock)
        {
            Repository(repository).Dispatches.Add(new RepositoryDispatchInfo(eventType, clientPayload, _time.GetUtcNow()));
        }
    }

    /// <summary>The run-name with <c>${{ inputs.X }}</c> (or <c>github.event.inputs.X</c>) filled in; the workflow's name without one.</summary>
    private static string DisplayTitle(WorkflowRecord workflow, IReadOnlyList<KeyValuePair<string, string>> inputs) =>
        workflow.Seed.RunName is not { } template
            ? workflow.Name
            : InputExpression().Replace(template, match =>
                inputs.LastOrDefault(i => string.Equals(i.Key, match.Groups["name"].Value, StringComparison.Ordinal)).Value ?? "");

    [System.Text.RegularExpressions.GeneratedRegex(@"\$\{\{\s*(?:github\.event\.)?inputs\.(?<name>[A-Za-z0-9_-]+)\s*\}\}")]
    private static partial System.Text.RegularExpressions.Regex InputExpression();

    private static void CheckConclusion(string conclusion, string parameter)
    {
        if (conclusion is null || !Conclusions.Contains(conclusion))
        {
            throw new ArgumentException($"unknown conclusion '{conclusion}': use {string.Join(", ", Conclusions)}", parameter);
        }
    }

    /// <summary>A full commit id (40 hex digits, or 64 for SHA-256 repositories), lower-cased: statuses are reported on commits, not refs.</summary>
    private static string CheckSha(string sha)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sha);
        if (sha.Length is not (40 or 64) || !sha.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{sha}' is not a full commit id: statuses and check runs are reported on a commit's sha", nameof(sha));
        }

        return sha.ToLowerInvariant();
    }

    private static void CheckRunState(string status, string? conclusion)
    {
        if (status is null || !CheckRunStatuses.Contains(status))
        {
            throw new ArgumentException($"unknown check run status '{status}': use {string.Join(", ", CheckRunStatuses)}", nameof(status));
        }

        if (status == "completed")
        {
            CheckConclusion(conclusion!, nameof(conclusion));
        }
        else if (conclusion is not null)
        {
            throw new ArgumentException($"a check run that is {status} has no conclusion yet (was '{conclusion}'): only completed runs have one", nameof(conclusion));
        }
    }

    // ---- helpers (call with the lock held) ---------------------------------------------------

    private RepositoryData Repository(string fullName)
    {
        if (!_repositories.TryGetValue(fullName, out var data))
        {
            data = new RepositoryData(new RepositoryRecord(fullName, _nextRepositoryId++, null));
            _repositories[fullName] = data;
        }

        return data;
    }

    private RepositoryData ExistingPullRequest(string repository, int number)
    {
        if (!_repositories.TryGetValue(repository, out var data) || !data.Pulls.ContainsKey(number))
        {
            throw new InvalidOperationException($"{repository} has no pull request #{number}: seed it with AddPullRequest first");
        }

        return data;
    }

    private static PullRequestSeed Normalize(PullRequestSeed seed, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(seed.Author);
        ArgumentException.ThrowIfNullOrWhiteSpace(seed.HeadRef);
        ArgumentException.ThrowIfNullOrWhiteSpace(seed.HeadSha);
        ArgumentException.ThrowIfNullOrWhiteSpace(seed.BaseRef);
        ArgumentException.ThrowIfNullOrWhiteSpace(seed.BaseSha);
        if (seed.State is not ("open" or "closed"))
        {
            throw new ArgumentException($"pull request state must be open or closed (was '{seed.State}')", nameof(seed));
        }

        // GitHub never shows a merged pull request as open, nor one without its merge time.
        return seed with
        {
            State = seed.Merged ? "closed" : seed.State,
            MergedAt = seed.Merged ? seed.MergedAt ?? now : null,
            HeadSha = seed.HeadSha.ToLowerInvariant(),
            BaseSha = seed.BaseSha.ToLowerInvariant(),
            MergeCommitSha = seed.MergeCommitSha?.ToLowerInvariant(),
            Labels = seed.Labels ?? [],
        };
    }

    private static void CheckRepositoryName(string fullName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fullName);
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == fullName.Length - 1 || fullName.IndexOf('/', slash + 1) >= 0)
        {
            throw new ArgumentException($"repository must be 'owner/name' (was '{fullName}')", nameof(fullName));
        }
    }

    private sealed class RepositoryData(RepositoryRecord record)
    {
        public RepositoryRecord Record { get; set; } = record;

        public SortedDictionary<int, PullRequestRecord> Pulls { get; } = [];

        public Dictionary<int, List<ReviewRecord>> Reviews { get; } = [];

        public Dictionary<string, string> Permissions { get; } = new(StringComparer.OrdinalIgnoreCase);

        public int NextNumber { get; set; } = 1;

        public Dictionary<string, WorkflowRecord> Workflows { get; } = new(StringComparer.Ordinal);

        public List<RunState> Runs { get; } = [];

        public List<RepositoryDispatchInfo> Dispatches { get; } = [];

        public List<StatusRecord> Statuses { get; } = [];

        public List<CheckRunRecord> CheckRuns { get; } = [];
    }

    /// <summary>A run and how often it has been read; changed only under the lock.</summary>
    private sealed class RunState(WorkflowRunRecord record)
    {
        public WorkflowRunRecord Record { get; set; } = record;

        public int Reads { get; set; }
    }
}
