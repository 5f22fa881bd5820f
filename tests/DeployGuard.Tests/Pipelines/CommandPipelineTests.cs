using System.Collections.Concurrent;
using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;
using DeployGuard.Pipelines;
using DeployGuard.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeployGuard.Tests.Pipelines;

/// <summary>The command pipeline with real processes: /bin/sh scripts in a temporary folder.</summary>
public sealed class CommandPipelineTests : IDisposable
{
    private const string DeployId = "dg-2026-11-21-staging-billing-7";

    private readonly TempDirectory _dir = new("dg-cmd");
    private readonly RecordingLogger _logger = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Trigger_PassesTheFiveValuesAsEnvironmentVariables()
    {
        Script("deploy.sh", """
            {
              echo "env=$DEPLOYGUARD_ENVIRONMENT"
              echo "app=$DEPLOYGUARD_APP"
              echo "commit=$DEPLOYGUARD_COMMIT"
              echo "previous=$DEPLOYGUARD_PREVIOUS_COMMIT"
              echo "id=$DEPLOYGUARD_DEPLOY_ID"
            } > values.txt
            """);

        var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        File.ReadAllLines(_dir.Combine("values.txt")).ShouldBe(
        [
            "env=staging",
            "app=billing",
            "commit=" + Hashes.Sha1("new"),
            "previous=" + Hashes.Sha1("old"),
            "id=" + DeployId,
        ]);
    }

    [Fact]
    public async Task Trigger_NoPreviousCommit_SetsItEmpty()
    {
        Script("deploy.sh", """printf '[%s]' "${DEPLOYGUARD_PREVIOUS_COMMIT-unset}" > previous.txt""");

        await Pipeline().TriggerAsync(Request("./deploy.sh") with { PreviousCommit = null }, CancellationToken.None);

        File.ReadAllText(_dir.Combine("previous.txt")).ShouldBe("[]");
    }

    [Fact]
    public async Task Trigger_RelativePath_ResolvesAgainstCommandDirectoryWhichIsAlsoTheWorkingDirectory()
    {
        Script("scripts/deploy.sh", """pwd > where.txt""");

        var outcome = await Pipeline().TriggerAsync(Request("./scripts/deploy.sh"), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        File.ReadAllText(_dir.Combine("where.txt")).Trim().ShouldBe(_dir.Path);
    }

    [Fact]
    public async Task Trigger_ArgumentsGoThroughWithoutAShell()
    {
        Script("deploy.sh", """printf '%s\n' "$@" > args.txt""");
        var tricky = new[] { "$(touch pwned)", "a b; touch pwned2", "`id`", "'quoted'", "" };

        var outcome = await Pipeline().TriggerAsync(Request(["./deploy.sh", .. tricky]), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        File.ReadAllLines(_dir.Combine("args.txt")).ShouldBe(tricky);
        File.Exists(_dir.Combine("pwned")).ShouldBeFalse();
        File.Exists(_dir.Combine("pwned2")).ShouldBeFalse();
    }

    [Fact]
    public async Task Trigger_BareName_IsLookedUpInPath()
    {
        var outcome = await Pipeline().TriggerAsync(Request(["sh", "-c", "exit 0"]), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
    }

    [Fact]
    public async Task Trigger_NonZeroExit_FailsQuotingTheLastErrorLine()
    {
        Script("deploy.sh", """
            echo "rolling out"
            echo "warming up" >&2
            echo "kubectl: deployment billing not found" >&2
            echo "done"
            exit 3
            """);

        var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Failed("command exited with 3: kubectl: deployment billing not found"));
    }

    [Fact]
    public async Task Trigger_NonZeroExitWithoutStderr_QuotesTheLastOutputLine()
    {
        Script("deploy.sh", "echo 'step 1'\necho 'step 2 failed'\nexit 1");

        var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Failed("command exited with 1: step 2 failed"));
    }

    [Fact]
    public async Task Trigger_Output_IsLoggedLineByLineWithTheDeployIdInScope()
    {
        Script("deploy.sh", "echo out-line\necho err-line >&2");

        await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None);

        var stdout = _logger.Events.Where(e => e.Message.EndsWith("out-line", StringComparison.Ordinal)).ShouldHaveSingleItem();
        stdout.Level.ShouldBe(LogLevel.Information);
        stdout.Scope.ShouldContain($"DeployId={DeployId}");
        var stderr = _logger.Events.Where(e => e.Message.EndsWith("err-line", StringComparison.Ordinal)).ShouldHaveSingleItem();
        stderr.Level.ShouldBe(LogLevel.Warning);
        stderr.Scope.ShouldContain($"DeployId={DeployId}");
    }

    [Fact]
    public async Task Trigger_VeryLongLine_IsCutInTheLog()
    {
        Script("deploy.sh", "head -c 100000 /dev/zero | tr '\\0' 'x'; echo; echo after");

        var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        var longest = _logger.Events.Max(e => e.Message.Length);
        longest.ShouldBeLessThan(CommandPipeline.MaxLineLength + 100);
        _logger.Events.ShouldContain(e => e.Message.EndsWith("after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trigger_StdinIsClosed_AScriptReadingItDoesNotHang()
    {
        Script("deploy.sh", "cat > stdin.txt");

        var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        File.ReadAllText(_dir.Combine("stdin.txt")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Trigger_ABackgroundProcessKeepsTheOutputOpen_TheResultDoesNotWaitForIt()
    {
        Script("deploy.sh", "sleep 60 &\necho $! > background.pid\nexit 0");
        try
        {
            var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

            outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
        }
        finally
        {
            KillPidFrom("background.pid");
        }
    }

    [Fact]
    public async Task Trigger_DefaultTimeout_KillsTheWholeTreeAndFails()
    {
        Script("deploy.sh", """
            sleep 300 &
            echo $! > grandchild.pid
            echo $$ > child.pid
            wait
            """);
        var time = new FakeTimeProvider();

        var run = Pipeline(time).TriggerAsync(Request("./deploy.sh"), CancellationToken.None);
        var child = await PidFromAsync("child.pid");
        var grandchild = await PidFromAsync("grandchild.pid");
        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        run.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(1));
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));

        outcome.ShouldBe(new PipelineOutcome.Failed("command timed out after 10m0s"));
        (await GoneAsync(child)).ShouldBeTrue("the command was killed");
        (await GoneAsync(grandchild)).ShouldBeTrue("what it started was killed too");
    }

    [Fact]
    public async Task Trigger_TimeoutFromTheSpec_IsUsed()
    {
        Script("deploy.sh", "sleep 300");

        var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh") with { Spec = Spec(["./deploy.sh"]) with { Timeout = TimeSpan.FromMilliseconds(500) } }, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(20));

        outcome.ShouldBe(new PipelineOutcome.Failed("command timed out after 500ms"));
    }

    [Fact]
    public async Task Trigger_ControllerCancels_KillsTheTreeAndThrows()
    {
        Script("deploy.sh", """
            sleep 300 &
            echo $! > grandchild.pid
            wait
            """);
        using var cancel = new CancellationTokenSource();

        var run = Pipeline().TriggerAsync(Request("./deploy.sh"), cancel.Token);
        var grandchild = await PidFromAsync("grandchild.pid");
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(20)));
        (await GoneAsync(grandchild)).ShouldBeTrue();
    }

    [Fact]
    public async Task Trigger_MissingProgram_FailsSayingItCannotStart()
    {
        var outcome = await Pipeline().TriggerAsync(Request("./scripts/deploy.sh"), CancellationToken.None);

        outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason
            .ShouldBe($"cannot start ./scripts/deploy.sh: No such file or directory ({_dir.Combine("scripts", "deploy.sh")})");
    }

    [Fact]
    public async Task Trigger_NotExecutable_FailsSayingItCannotStart()
    {
        File.WriteAllText(_dir.Combine("deploy.sh"), "#!/bin/sh\nexit 0\n");

        var outcome = await Pipeline().TriggerAsync(Request("./deploy.sh"), CancellationToken.None);

        outcome.ShouldBeOfType<PipelineOutcome.Failed>().Reason.ShouldStartWith("cannot start ./deploy.sh: Permission denied");
    }

    [Fact]
    public async Task Trigger_BareNameNotInPath_FailsSayingItCannotStart()
    {
        var outcome = await Pipeline().TriggerAsync(Request("no-such-deploy-tool-4711"), CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Failed("cannot start no-such-deploy-tool-4711: not found in PATH"));
    }

    [Fact]
    public async Task Trigger_ScrubbedVariables_AreNotInTheChildsEnvironment()
    {
        // Unique names: the test process's environment is shared with every test running in parallel.
        var tag = "DGTEST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable($"{tag}_SECRET", "s1");
        Environment.SetEnvironmentVariable($"{tag}__Vault__Token", "s2");
        Environment.SetEnvironmentVariable($"{tag}_KEEP", "kept");
        try
        {
            Script("deploy.sh", "env > env.txt");
            var pipeline = Pipeline(configure: o =>
            {
                o.ScrubEnvironment.Add($"{tag}_SEC*");
                o.ScrubEnvironment.Add($"{tag.ToLowerInvariant()}:VAULT:TOKEN");
                o.ScrubEnvironment.Add("DEPLOYGUARD_*");
            });

            var outcome = await pipeline.TriggerAsync(Request("./deploy.sh"), CancellationToken.None);

            outcome.ShouldBe(new PipelineOutcome.Succeeded(null));
            var env = File.ReadAllLines(_dir.Combine("env.txt"));
            env.ShouldNotContain(l => l.StartsWith($"{tag}_SECRET=", StringComparison.Ordinal));
            env.ShouldNotContain(l => l.StartsWith($"{tag}__Vault__Token=", StringComparison.Ordinal));
            env.ShouldContain($"{tag}_KEEP=kept");
            env.ShouldContain($"DEPLOYGUARD_DEPLOY_ID={DeployId}", "the values are set after scrubbing");
        }
        finally
        {
            Environment.SetEnvironmentVariable($"{tag}_SECRET", null);
            Environment.SetEnvironmentVariable($"{tag}__Vault__Token", null);
            Environment.SetEnvironmentVariable($"{tag}_KEEP", null);
        }
    }

    [Theory]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("DEPLOYGUARD__GITHUB__TOKEN", true)]
    [InlineData("DeployGuard__GitHub__Token", true)]
    [InlineData("DeployGuard:GitHub:Token", true)]
    [InlineData("DEPLOYGUARD__GITHUB__WEBHOOKSECRET", true)]
    [InlineData("DEPLOYGUARD__GITHUB__TOKENFILE", false)]
    [InlineData("GITHUB_TOKEN_EXTRA", false)]
    [InlineData("PATH", false)]
    public void IsScrubbed_Defaults_CoverTheControllersSecrets(string name, bool scrubbed)
    {
        Pipeline().IsScrubbed(name).ShouldBe(scrubbed);
    }

    [Fact]
    public async Task Follow_ReportsTheRunAsSucceeded()
    {
        var outcome = await Pipeline().FollowAsync(Request("./deploy.sh"), "run", CancellationToken.None);

        outcome.ShouldBe(new PipelineOutcome.Succeeded("run"));
    }

    private CommandPipeline Pipeline(TimeProvider? time = null, Action<PipelineOptions>? configure = null)
    {
        var options = new PipelineOptions { CommandDirectory = _dir.Path };
        configure?.Invoke(options);
        return new CommandPipeline(time ?? TimeProvider.System, _logger, Options.Create(options));
    }

    private static PipelineSpec Spec(IReadOnlyList<string> command) => new() { Type = PipelineType.Command, Command = command };

    private static PipelineRequest Request(string program) => Request([program]);

    private static PipelineRequest Request(IReadOnlyList<string> command) => new()
    {
        Environment = "staging",
        App = "billing",
        Commit = Hashes.Sha1("new"),
        PreviousCommit = Hashes.Sha1("old"),
        DeployId = DeployId,
        AppRepository = "acme/billing",
        Spec = Spec(command),
        ClaimedAt = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero),
    };

    private void Script(string relative, string body)
    {
        var path = _dir.Combine(relative.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + body.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private async Task<int> PidFromAsync(string file)
    {
        var path = _dir.Combine(file);
        for (var i = 0; i < 200; i++)
        {
            if (File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var pid))
            {
                return pid;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{file} was not written");
    }

    private void KillPidFrom(string file)
    {
        var path = _dir.Combine(file);
        if (File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var pid))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    /// <summary>Whether the process is gone: no longer listed, or a zombie nobody has reaped yet (it runs nothing).</summary>
    private static async Task<bool> GoneAsync(int pid)
    {
        for (var i = 0; i < 100; i++)
        {
            var stat = $"/proc/{pid}/stat";
            try
            {
                if (!File.Exists(stat))
                {
                    return true;
                }

                var text = File.ReadAllText(stat);
                if (text[(text.LastIndexOf(')') + 2)..].StartsWith('Z'))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>Keeps each event with the scopes open when it was logged.</summary>
    private sealed class RecordingLogger : ILogger<CommandPipeline>
    {
        private readonly AsyncLocal<ImmutableScopes?> _scopes = new();

        public ConcurrentQueue<(LogLevel Level, string Message, string Scope)> EventQueue { get; } = new();

        public IReadOnlyList<(LogLevel Level, string Message, string Scope)> Events => [.. EventQueue];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            var text = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : state.ToString() ?? "";
            var previous = _scopes.Value;
            _scopes.Value = new ImmutableScopes(previous, text);
            return new Pop(() => _scopes.Value = previous);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            EventQueue.Enqueue((logLevel, formatter(state, exception), _scopes.Value?.ToString() ?? ""));

        private sealed record ImmutableScopes(ImmutableScopes? Parent, string Text)
        {
            public override string ToString() => Parent is null ? Text : $"{Parent}; {Text}";
        }

        private sealed class Pop(Action action) : IDisposable
        {
            public void Dispose() => action();
        }
    }
}
