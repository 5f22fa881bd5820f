using DeployGuard.Git;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Git;

public sealed class GitCliTests
{
    [Theory]
    [InlineData("https://x-access-token:ghs_SECRET123@github.com/acme/deploy.git", "https://***@github.com/acme/deploy.git")]
    [InlineData("https://ghp_SECRET@github.example.com/a/b", "https://***@github.example.com/a/b")]
    [InlineData("fatal: unable to access 'https://user:pass@host/repo/': 403", "fatal: unable to access 'https://***@host/repo/': 403")]
    [InlineData("/srv/git/deploy.git", "/srv/git/deploy.git")]
    public void Redact_RemovesCredentialsFromUrls(string input, string expected)
    {
        GitCli.Redact(input).ShouldBe(expected);
    }

    [Fact]
    public async Task RunAsync_FailedCommand_ReportsStderrWithoutTheToken()
    {
        using var dir = new TempDirectory();
        var git = new GitCli();

        var ex = await Should.ThrowAsync<GitCommandException>(() =>
            git.RunAsync(null, ["clone", "--quiet", "https://x-access-token:ghs_TOPSECRET@127.0.0.1:9/none.git", dir.Combine("c")], CancellationToken.None));

        ex.Message.ShouldNotContain("ghs_TOPSECRET");
        ex.Message.ShouldContain("***@127.0.0.1");
        ex.ExitCode.ShouldNotBe(0);
    }

    [Fact]
    public async Task RunAsync_TimeoutElapses_KillsTheProcessAndSaysSo()
    {
        using var dir = new TempDirectory();
        var git = HangingGit(dir);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var ex = await Should.ThrowAsync<GitCommandException>(() =>
            git.RunAsync(null, ["fetch"], CancellationToken.None, timeout: TimeSpan.FromMilliseconds(300)));

        ex.Message.ShouldContain("timed out");
        started.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "the process must be killed, not waited for");
    }

    [Fact]
    public async Task RunAsync_Cancelled_KillsTheProcessAndThrowsCancellation()
    {
        using var dir = new TempDirectory();
        var git = HangingGit(dir);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Should.ThrowAsync<OperationCanceledException>(() => git.RunAsync(null, ["fetch"], cancel.Token));
    }

    [Fact]
    public async Task RunAsync_MissingExecutable_SaysGitIsNeeded()
    {
        var git = new GitCli(new GitCliOptions { Executable = "/nonexistent/git" });

        var ex = await Should.ThrowAsync<GitCommandException>(() => git.RunAsync(null, ["--version"], CancellationToken.None));

        ex.Message.ShouldContain("Is git installed");
    }

    /// <summary>A stand-in for a git that hangs (a dead remote): only a timeout or cancellation can end it.</summary>
    private static GitCli HangingGit(TempDirectory dir)
    {
        var hanging = dir.Combine("hanging-git");
        File.WriteAllText(hanging, "#!/bin/sh\nexec sleep 60\n");
        File.SetUnixFileMode(hanging, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        return new GitCli(new GitCliOptions { Executable = hanging });
    }
}
