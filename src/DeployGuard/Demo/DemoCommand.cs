using System.Globalization;
using DeployGuard.Configuration;
using DeployGuard.Controller;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Ledger;
using DeployGuard.Core.Policy;
using DeployGuard.Git;
using DeployGuard.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeployGuard.Demo;

/// <summary>
/// <c>deployguard demo</c> (SPEC §9): the whole flow in a sandbox, with no network and no
/// accounts. Real git repositories in a temporary folder, the loopback GitHub emulator serving
/// them, the real controller with command pipelines; four pull requests, four outcomes, and the
/// deploy repository's <c>git log --notes=deployguard</c> at the end.
/// </summary>
internal sealed class DemoCommand(TextWriter output, TextWriter error)
{
    private const string Token = "ghs_sandboxDemoToken0000000000000000000000";

    /// <summary>A Tuesday morning, outside every freeze window of deploy-manifests' policy.</summary>
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private readonly DemoClock _clock = new(Start);
    private int _pullRequests;

    public async Task<int> RunAsync(string? manifests, bool keep, CancellationToken cancellationToken)
    {
        var source = FindManifests(manifests);
        if (source is null)
        {
            await error.WriteLineAsync(manifests is null
                ? "deployguard demo: cannot find deploy-manifests/deployguard.yml; run from the repository or pass --manifests DIR"
                : $"deployguard demo: '{manifests}' has no {DeployLayout.PolicyFileName}; --manifests must name a deploy repository folder like deploy-manifests/");
            return ExitCodes.Usage;
        }

        var root = Path.Combine(Path.GetTempPath(), $"deployguard-demo-{Guid.NewGuid():N}"[..28]);
        Directory.CreateDirectory(root);
        try
        {
            return await RunInAsync(source, root, cancellationToken);
        }
        finally
        {
            if (keep)
            {
                await output.WriteLineAsync($"Sandbox kept in {root}");
            }
            else
            {
                TryDelete(root);
            }
        }
    }

    private async Task<int> RunInAsync(string manifests, string root, CancellationToken ct)
    {
        await Say("DeployGuard demo: deploy by pull request, in a sandbox (real git, a loopback GitHub, no network).");
        await Say($"Seeding from {manifests}; sandbox in {root}");

        // The application: two commits on main by erin, and an unfinished feature branch.
        var app = new DemoRepo(Path.Combine(root, "acme-app"), new GitIdentity("Erin Engineer", "erin@acme.example"), _clock);
        await app.InitAsync(bare: false, ct);
        var c1 = await app.CommitAsync("src/login.txt", "session timeout: 5 minutes\n", "Initial release", ct);
        var c2 = await app.CommitAsync("src/login.txt", "session timeout: 24 hours\n", "Fix login timeout", ct);
        await app.GitAsync(ct, "checkout", "--quiet", "-b", "feature/new-checkout");
        var feature = await app.CommitAsync("src/checkout.txt", "half-finished checkout\n", "WIP: new checkout", ct);
        await app.GitAsync(ct, "checkout", "--quiet", "main");
        var hotfix = await app.CommitAsync("src/login.txt", "session timeout: 24 hours (hotfix)\n", "Hotfix straight from a laptop", ct);

        // The deploy repository: a bare "origin" and a working clone where pull requests are merged.
        var remote = new DemoRepo(Path.Combine(root, "acme-deploy.git"), new GitIdentity("Carol Committer", "carol@acme.example"), _clock);
        await remote.InitAsync(bare: true, ct);
        var deploy = new DemoRepo(Path.Combine(root, "acme-deploy"), new GitIdentity("Carol Committer", "carol@acme.example"), _clock);
        await deploy.InitAsync(bare: false, ct);
        await deploy.GitAsync(ct, "remote", "add", "origin", remote.Path);
        var script = WriteScript(root);
        var policy = DemoPolicy.WithCommandPipelines(await File.ReadAllTextAsync(Path.Combine(manifests, DeployLayout.PolicyFileName), ct), script);
        if (PolicyParser.Parse(policy).Errors is [var first, ..])
        {
            await error.WriteLineAsync($"deployguard demo: the policy in {manifests} is invalid: {first}");
            return ExitCodes.Refused;
        }

        await deploy.WriteAsync(DeployLayout.PolicyFileName, policy, ct);
        foreach (var file in Directory.EnumerateFiles(manifests, "*" + DeployLayout.Extension, SearchOption.AllDirectories))
        {
            // Every app starts at c1: the sample files name commits that do not exist in the sandbox's
            // app repository, so each file is replaced by one line naming a real commit.
            var relative = Path.GetRelativePath(manifests, file).Replace(Path.DirectorySeparatorChar, '/');
            await deploy.WriteAsync(relative, $"{c1}\n* Sandbox: every app starts at acme/app's first commit\n", ct);
        }

        await deploy.CommitAllAsync("Seed from deploy-manifests", ct);
        await deploy.GitAsync(ct, "push", "--quiet", "origin", "main");

        await using var github = await GitHubEmulator.StartAsync(new GitHubEmulatorOptions { TimeProvider = _clock }, ct);
        SeedGitHub(github, remote.Path, app.Path);
        foreach (var built in new[] { c1, c2, feature, hotfix })
        {
            // The app's CI went green on every commit: the demo's refusals come from review and branches.
            github.State.AddStatus("acme/app", built, "ci/build", "success", "build and tests passed");
        }

        using var host = BuildController(remote.Path, Path.Combine(root, "controller"), github);
        var reconciler = host.Services.GetRequiredService<Reconciler>();
        var ledger = host.Services.GetRequiredService<ILedger>();

        await reconciler.RunPassAsync(ct);
        await Say($"\nDeployGuard starts and records {Short(await deploy.HeadAsync(ct))} as its baseline: history is never replayed.");

        var outcomes = new List<DeployStatus?>();
        await Say($"\n1. Erin's PR #{_pullRequests + 1} deploys {Short(c2)} (\"Fix login timeout\") to staging; alice approves; it merges.");
        var m1 = await MergeAsync(github, deploy, "staging/app.deploy", c2, "Deploy login fix to staging", ["alice"], ct);
        outcomes.Add(await PassAndTellAsync(reconciler, ledger, m1, "staging", ct));

        _clock.Advance(TimeSpan.FromMinutes(31));
        await Say("\n   ... 31 minutes later (the sandbox clock moves on; production wants 30 minutes of soak in staging) ...");
        await Say($"\n2. PR #{_pullRequests + 1} promotes {Short(c2)} to production; alice (of @acme/ops) and bob approve; it merges.");
        var m2 = await MergeAsync(github, deploy, "production/app.deploy", c2, "Promote login fix to production", ["alice", "bob"], ct);
        outcomes.Add(await PassAndTellAsync(reconciler, ledger, m2, "production", ct));

        await Say($"\n3. PR #{_pullRequests + 1} deploys {Short(feature)} from feature/new-checkout to production; alice and bob approve; it merges.");
        var m3 = await MergeAsync(github, deploy, "production/app.deploy", feature, "Deploy new checkout", ["alice", "bob"], ct);
        outcomes.Add(await PassAndTellAsync(reconciler, ledger, m3, "production", ct));

        await Say($"\n4. Someone pushes {Short(hotfix)} straight to main of the deploy repository, without a pull request.");
        var m4 = await deploy.PrependDeployAsync("production/app.deploy", hotfix, "Quick hotfix, no time for review", ct);
        await deploy.GitAsync(ct, "push", "--quiet", "origin", "main");
        outcomes.Add(await PassAndTellAsync(reconciler, ledger, m4, "production", ct));

        await Say("\nThe deploy history, read with plain git in the deploy repository:");
        await Say("$ git log --notes=deployguard\n");
        await Say(await remote.GitAsync(ct, "log", "--notes=deployguard"));

        var done = outcomes.Count(o => o == DeployStatus.Succeeded);
        var refused = outcomes.Count(o => o == DeployStatus.Refused);
        await Say($"\nDemo finished: {done} deploys done, {refused} refused with their reasons.");
        return done == 2 && refused == 2 ? ExitCodes.Success : ExitCodes.Refused;
    }

    private static void SeedGitHub(GitHubEmulator github, string deployRepository, string appRepository)
    {
        var state = github.State;
        state.AddToken(Token);
        state.AddRepository("acme/deploy", deployRepository);
        foreach (var name in new[] { "acme/app", "acme/billing", "acme/reports" })
        {
            state.AddRepository(name, appRepository);
        }

        foreach (var user in new[] { "alice", "bob", "carol", "dave" })
        {
            state.SetPermission("acme/deploy", user, "write");
        }

        state.AddTeamMember("acme", "ops", "alice");
        state.AddTeamMember("acme", "platform", "dave");
        state.MapEmail("erin@acme.example", "erin");
        state.MapEmail("carol@acme.example", "carol");
    }

    private IHost BuildController(string remote, string workDir, GitHubEmulator github)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Only the sandbox's settings: the demo must not pick up a real deployment's environment.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DeployGuard:Repository:Url"] = remote,
            ["DeployGuard:Repository:GitHub"] = "acme/deploy",
            ["DeployGuard:WorkDir"] = workDir,
            ["DeployGuard:ReplicaId"] = "sandbox",
            ["DeployGuard:GitHub:ApiUrl"] = github.ApiUrl.AbsoluteUri,
            ["DeployGuard:GitHub:Token"] = Token,
        });
        builder.Services.AddDeployGuard(builder.Configuration);
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.Logging.ClearProviders();
        return builder.Build();
    }

    private async Task<string> MergeAsync(GitHubEmulator github, DemoRepo deploy, string path, string commit, string title, string[] approvers, CancellationToken ct)
    {
        var number = ++_pullRequests;
        var branch = $"pr-{number}";
        var @base = await deploy.HeadAsync(ct);
        await deploy.GitAsync(ct, "checkout", "--quiet", "-b", branch);
        var head = await deploy.PrependDeployAsync(path, commit, title, ct);
        await deploy.GitAsync(ct, "checkout", "--quiet", "main");
        await deploy.GitAsync(ct, "merge", "--quiet", "--squash", branch);
        var merged = await deploy.CommitAllAsync($"{title} (#{number})", ct);
        await deploy.GitAsync(ct, "push", "--quiet", "origin", "main");
        github.State.AddPullRequest("acme/deploy", new PullRequestSeed("carol", branch, head, "main", @base)
        {
            Number = number, Title = title, State = "closed", Merged = true, MergeCommitSha = merged, MergedAt = _clock.GetUtcNow(),
        });
        foreach (var approver in approvers)
        {
            github.State.AddReview("acme/deploy", number, new ReviewSeed(approver, "APPROVED", head) { SubmittedAt = _clock.GetUtcNow() });
        }

        return merged;
    }

    private async Task<DeployStatus?> PassAndTellAsync(Reconciler reconciler, ILedger ledger, string deployCommit, string environment, CancellationToken ct)
    {
        await reconciler.RunPassAsync(ct);
        var entries = await ledger.ReadEntriesAsync([deployCommit], ct);
        var entry = entries.Values.Select(r => r.Entry).FirstOrDefault(e => e.Environment == environment);
        if (entry is null)
        {
            await Say("   DeployGuard: no outcome yet (this should not happen in the sandbox)");
            return null;
        }

        var text = entry.Status switch
        {
            DeployStatus.Succeeded => $"   DeployGuard: approved by {string.Join(" and ", entry.ApprovedBy)}; ran the pipeline; {entry.DeployId} succeeded.",
            DeployStatus.Refused => $"   DeployGuard: REFUSED {entry.DeployId}, nothing triggered: {entry.Reason}",
            _ => $"   DeployGuard: {entry.DeployId} is {LedgerEntry.Format(entry.Status)}: {entry.Reason}",
        };
        await Say(text);
        return entry.Status;
    }

    private static string WriteScript(string root)
    {
        var script = Path.Combine(root, "deploy.sh");
        File.WriteAllText(script, "#!/bin/sh\necho \"deploying $DEPLOYGUARD_APP $DEPLOYGUARD_COMMIT to $DEPLOYGUARD_ENVIRONMENT ($DEPLOYGUARD_DEPLOY_ID)\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return script;
    }

    private static string? FindManifests(string? given)
    {
        if (given is not null)
        {
            return File.Exists(Path.Combine(given, DeployLayout.PolicyFileName)) ? Path.GetFullPath(given) : null;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "deploy-manifests");
                if (File.Exists(Path.Combine(candidate, DeployLayout.PolicyFileName)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static string Short(string commit) => CommitHash.Abbreviate(commit);

    private Task Say(string text) => output.WriteLineAsync(text);

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A git process still closing a file: the temporary folder is cleaned by the system.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A git repository of the sandbox, driven through the git command line like the controller's own.</summary>
/// <remarks>Commits are dated by the sandbox clock, so the story's times agree with the ledger's.</remarks>
internal sealed class DemoRepo(string path, GitIdentity identity, TimeProvider clock)
{
    public string Path { get; } = path;

    public async Task InitAsync(bool bare, CancellationToken ct)
    {
        Directory.CreateDirectory(Path);
        await GitAsync(ct, bare ? ["init", "--quiet", "--bare", "-b", "main"] : ["init", "--quiet", "-b", "main"]);
    }

    public async Task<string> GitAsync(CancellationToken ct, params string[] args)
    {
        var date = clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var git = new GitCli(new GitCliOptions
        {
            Environment = new Dictionary<string, string>
            {
                ["GIT_AUTHOR_NAME"] = identity.Name,
                ["GIT_AUTHOR_EMAIL"] = identity.Email,
                ["GIT_AUTHOR_DATE"] = date,
                ["GIT_COMMITTER_NAME"] = identity.Name,
                ["GIT_COMMITTER_EMAIL"] = identity.Email,
                ["GIT_COMMITTER_DATE"] = date,
            },
        });
        return (await git.RunAsync(Path, args, ct)).StandardOutput.TrimEnd();
    }

    public async Task WriteAsync(string relative, string content, CancellationToken ct)
    {
        var file = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, content, ct);
    }

    public async Task<string> CommitAsync(string relative, string content, string message, CancellationToken ct)
    {
        await WriteAsync(relative, content, ct);
        return await CommitAllAsync(message, ct);
    }

    public async Task<string> CommitAllAsync(string message, CancellationToken ct)
    {
        await GitAsync(ct, "add", "-A");
        await GitAsync(ct, "commit", "--quiet", "--no-verify", "-m", message);
        return await HeadAsync(ct);
    }

    /// <summary>A deploy: the new commit and a note prepended to the deploy file, as SPEC §1's convention has it.</summary>
    public async Task<string> PrependDeployAsync(string relative, string commit, string note, CancellationToken ct)
    {
        var file = System.IO.Path.Combine(Path, relative);
        var before = File.Exists(file) ? await File.ReadAllTextAsync(file, ct) : "";
        await File.WriteAllTextAsync(file, $"{commit}\n* {note}\n{before}", ct);
        return await CommitAllAsync(note, ct);
    }

    public Task<string> HeadAsync(CancellationToken ct) => GitAsync(ct, "rev-parse", "HEAD");
}
