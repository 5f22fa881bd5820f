using DeployGuard.Core.Ledger;
using DeployGuard.Sandbox;
using DeployGuard.Tests.Cli;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Controller;

/// <summary>
/// Everything a controller talks to, for real: a bare "remote" deploy repository and a working
/// clone that merges pull requests into it, an app repository, the GitHub emulator serving both,
/// a loopback pipeline receiver for webhooks and a command pipeline that appends to a file.
/// </summary>
public sealed class DeployWorld : IAsyncDisposable
{
    public const string Token = "ghp_DeployWorldToken000000000000000000000";

    private readonly TempDirectory _dir = new("dg-world");
    private int _branches;

    private DeployWorld(GitHubEmulator github, PipelineReceiver hooks)
    {
        GitHub = github;
        Hooks = hooks;
        Remote = TestRepo.Create(bare: true);
        Work = TestRepo.Create();
        Work.Git("remote", "add", "origin", Remote.Path);
        App = TestRepo.Create();
        SecretEnv = $"DG_TEST_HOOK_SECRET_{Guid.NewGuid():N}".ToUpperInvariant();
        Environment.SetEnvironmentVariable(SecretEnv, Secret);
        CommandLog = _dir.Combine("command-deliveries.txt");
        Script = _dir.Combine("deploy.sh");
        File.WriteAllText(Script, $"#!/bin/sh\necho \"deploying $DEPLOYGUARD_APP $DEPLOYGUARD_COMMIT to $DEPLOYGUARD_ENVIRONMENT\"\necho \"$DEPLOYGUARD_DEPLOY_ID\" >> '{CommandLog}'\n");
        File.SetUnixFileMode(Script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public const string Secret = "world-webhook-secret";

    public GitHubEmulator GitHub { get; }
    public PipelineReceiver Hooks { get; }
    public TestRepo Remote { get; }
    public TestRepo Work { get; }
    public TestRepo App { get; }
    public string SecretEnv { get; }
    public string Script { get; }
    public string CommandLog { get; }

    /// <summary>Deploy ids the command pipeline received, one per delivery.</summary>
    public IReadOnlyList<string> CommandDeliveries => File.Exists(CommandLog) ? File.ReadAllLines(CommandLog) : [];

    /// <summary>Replaces <see cref="Policy"/> for the seed commit.</summary>
    public string? CustomPolicy { get; set; }

    /// <summary>The pipeline part of the policy: app (github-actions), billing (webhook), reports (command).</summary>
    public string Apps => $$"""
        apps:
          app:
            repository: acme/app
            pipeline: { type: github-actions, workflow: deploy.yml, ref: main }
          billing:
            repository: acme/billing
            pipeline: { type: webhook, url: "{{Hooks.UrlFor("billing")}}", secret_env: {{SecretEnv}} }
          reports:
            repository: acme/reports
            pipeline: { type: command, command: ["{{Script}}"], timeout: 3s }
        """;

    public string Policy => """
        version: 1
        defaults:
          require_checks: false
        environments:
          staging: {}
          production: { min_approvals: 2 }

        """ + Apps;

    public static async Task<DeployWorld> StartAsync()
    {
        var github = await GitHubEmulator.StartAsync();
        var hooks = await PipelineReceiver.StartAsync(new PipelineReceiverOptions { Secret = Secret });
        var world = new DeployWorld(github, hooks);
        github.State.AddToken(Token);
        github.State.AddRepository("acme/deploy", world.Remote.Path);
        // The three apps share one source repository: what matters is that their commits are real.
        github.State.AddRepository("acme/app", world.App.Path);
        github.State.AddRepository("acme/billing", world.App.Path);
        github.State.AddRepository("acme/reports", world.App.Path);
        github.State.AddWorkflow("acme/app", "deploy.yml", new WorkflowSeed { PollsBeforeCompletion = 0 });
        foreach (var reviewer in new[] { "alice", "bob", "dave" })
        {
            github.State.SetPermission("acme/deploy", reviewer, "write");
        }

        world.App.CommitFiles("app one", ("src/app.txt", "1"));
        return world;
    }

    /// <summary>An application commit on the app repository's main branch.</summary>
    public string AppCommit(string content) => App.CommitFiles($"app {content}", ("src/app.txt", content));

    /// <summary>The first commit of the deploy repository: the policy and the given files, pushed directly.</summary>
    public string Seed(params (string Path, string Content)[] files)
    {
        var commit = Work.CommitFiles("seed", [("deployguard.yml", CustomPolicy ?? Policy), .. files]);
        Push();
        return commit;
    }

    /// <summary>
    /// A pull request by carol changing <paramref name="files"/>, approved by <paramref name="approvers"/>
    /// on its head, squash-merged into main (one commit on main, as GitHub's squash merge makes) and pushed.
    /// </summary>
    public (string Commit, int Number) MergeApproved(IReadOnlyList<(string Path, string? Content)> files, params string[] approvers) =>
        Merge(files, squash: true, approvers);

    /// <summary>As <see cref="MergeApproved"/>; a null content deletes the file.</summary>
    public (string Commit, int Number) Merge(IReadOnlyList<(string Path, string? Content)> files, bool squash, params string[] approvers)
    {
        var branch = $"pr-{++_branches}";
        var @base = Work.Head();
        Work.Checkout(branch, create: true);
        foreach (var (path, content) in files)
        {
            if (content is null)
            {
                Work.Delete(path);
            }
            else
            {
                Work.Write(path, content);
            }
        }

        var head = Work.Commit($"change {branch}");
        Work.Checkout("main");
        var merged = squash ? Work.SquashMerge(branch) : Work.MergeNoFf(branch);
        Push();
        var number = GitHub.State.AddPullRequest("acme/deploy", new PullRequestSeed("carol", branch, head, "main", @base)
        {
            State = "closed", Merged = true, MergeCommitSha = merged, MergedAt = DateTimeOffset.UtcNow,
        });
        foreach (var approver in approvers)
        {
            GitHub.State.AddReview("acme/deploy", number, new ReviewSeed(approver, "APPROVED", head));
        }

        return (merged, number);
    }

    /// <summary>A commit pushed straight to main: no pull request, no review.</summary>
    public string DirectPush(params (string Path, string Content)[] files)
    {
        var commit = Work.CommitFiles("direct push", files);
        Push();
        return commit;
    }

    public void Push() => Work.Git("push", "--quiet", "origin", "main");

    /// <summary>The configuration switches of a controller with its own work directory (one per replica).</summary>
    public string[] Switches(string replica = "r1") =>
    [
        $"--DeployGuard:Repository:Url={Remote.Path}",
        "--DeployGuard:Repository:GitHub=acme/deploy",
        $"--DeployGuard:WorkDir={_dir.Combine(replica)}",
        "--DeployGuard:PollInterval=00:00:01",
        $"--DeployGuard:GitHub:ApiUrl={GitHub.ApiUrl.AbsoluteUri}",
        $"--DeployGuard:GitHub:Token={Token}",
        "--DeployGuard:Pipelines:WebhookRetryBaseDelay=00:00:00.050",
        "--DeployGuard:Pipelines:RunLookupGrace=00:00:00",
    ];

    public string WorkDir(string replica = "r1") => _dir.Combine(replica);

    /// <summary>The same configuration as environment variables, for a controller in its own process.</summary>
    public Dictionary<string, string> EnvironmentFor(string replica) => new()
    {
        ["DEPLOYGUARD__REPOSITORY__URL"] = Remote.Path,
        ["DEPLOYGUARD__REPOSITORY__GITHUB"] = "acme/deploy",
        ["DEPLOYGUARD__WORKDIR"] = WorkDir(replica),
        ["DEPLOYGUARD__POLLINTERVAL"] = "00:00:01",
        ["DEPLOYGUARD__GITHUB__APIURL"] = GitHub.ApiUrl.AbsoluteUri,
        ["DEPLOYGUARD__GITHUB__TOKEN"] = Token,
        ["DEPLOYGUARD__PIPELINES__WEBHOOKRETRYBASEDELAY"] = "00:00:00.050",
        ["DEPLOYGUARD__PIPELINES__RUNLOOKUPGRACE"] = "00:00:00",
        [SecretEnv] = Secret,
    };

    public Task<CliResult> RunOnceAsync(string replica = "r1", params string[] extra) =>
        CliRunner.RunAsync(["run", "--once", .. Switches(replica), .. extra]);

    /// <summary>Every ledger entry on the remote, by deploy id, read with plain git.</summary>
    public IReadOnlyDictionary<string, LedgerEntry> Ledger()
    {
        if (Remote.Git("for-each-ref", "refs/notes/deployguard").Length == 0)
        {
            return new Dictionary<string, LedgerEntry>();
        }

        var notes = Remote.Git("log", "--first-parent", "--notes=deployguard", "--format=%N%x1e", "main");
        return notes.Split('\x1e').SelectMany(LedgerNote.Read).ToDictionary(e => e.DeployId, StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        Environment.SetEnvironmentVariable(SecretEnv, null);
        await GitHub.DisposeAsync();
        await Hooks.DisposeAsync();
        Remote.Dispose();
        Work.Dispose();
        App.Dispose();
        _dir.Dispose();
    }
}
