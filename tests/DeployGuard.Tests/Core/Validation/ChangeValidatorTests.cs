using System.Text;
using DeployGuard.Core.DeployFiles;
using DeployGuard.Core.Validation;
using DeployGuard.Tests.Support;

namespace DeployGuard.Tests.Core.Validation;

/// <summary>What <c>deployguard check</c> reports for a change to the deploy repository.</summary>
public sealed class ChangeValidatorTests
{
    private static readonly string C1 = Hashes.Sha1("validator-1");
    private static readonly string C2 = Hashes.Sha1("validator-2");

    private const string Apps = """
        apps:
          app:
            repository: acme/app
            pipeline: { type: github-actions, workflow: deploy.yml }
          billing:
            repository: acme/billing
            pipeline: { type: github-actions, workflow: deploy.yml }
        """;

    private static readonly string Policy = "version: 1\nenvironments:\n  staging: {}\n  production: {}\n" + Apps + "\n";

    private static readonly string PolicyWithQa = "version: 1\nenvironments:\n  staging: {}\n  production: {}\n  qa: {}\n" + Apps + "\n";

    private static readonly string PolicyUnprotectedProduction =
        "version: 1\nenvironments:\n  staging: {}\n  production: { protect_history: false }\n" + Apps + "\n";

    private static readonly ChangeValidator Validator = new(new DeployLayout());

    private static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static ChangedFile Added(string path, string content, string mode = "100644") => new(path, mode, null, Bytes(content));

    private static ChangedFile Modified(string path, string before, string after, string mode = "100644") => new(path, mode, Bytes(before), Bytes(after));

    private static ChangedFile Deleted(string path) => new(path, null, Bytes(Hashes.DeployFile(C1)), null);

    private static ValidationProblem SingleProblem(ValidationReport report)
    {
        report.Problems.Count.ShouldBe(1, string.Join("\n", report.Problems));
        return report.Problems[0];
    }

    [Fact]
    public void Validate_GoodChange_HasNoProblems()
    {
        var report = Validator.Validate(
        [
            Modified("production/app.deploy", Hashes.DeployFile(C1), Hashes.DeployFile(C2) + Hashes.DeployFile(C1)),
            Added("staging/billing.deploy", Hashes.DeployFile(C1)),
            Added("README.md", "not a deploy file"),
        ], Policy, Policy);

        report.Problems.ShouldBeEmpty(string.Join("\n", report.Problems));
        report.HasErrors.ShouldBeFalse();
        report.CheckedFiles.ShouldBe(["production/app.deploy", "staging/billing.deploy"]);
    }

    [Fact]
    public void Validate_EnvironmentAddedInTheSameChangeAsADeployToIt_SaysMergeThePolicyFirst()
    {
        var report = Validator.Validate([Added("qa/app.deploy", Hashes.DeployFile(C1))], Policy, PolicyWithQa);

        var problem = SingleProblem(report);
        problem.Severity.ShouldBe(Severity.Error);
        problem.Code.ShouldBe("UnknownEnvironment");
        problem.Path.ShouldBe("qa/app.deploy");
        problem.Line.ShouldBe(1);
        problem.Message.ShouldContain("environment 'qa' is added to the policy by this same change");
        problem.Message.ShouldContain("merge the policy change first, then deploy");
        report.HasErrors.ShouldBeTrue();
    }

    [Fact]
    public void Validate_EnvironmentAlreadyInThePolicy_IsNotJudgedByTheChange()
    {
        var report = Validator.Validate([Added("qa/app.deploy", Hashes.DeployFile(C1))], PolicyWithQa, PolicyWithQa);

        report.Problems.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_UnknownEnvironment_IsRefusedWithReason()
    {
        var problem = SingleProblem(Validator.Validate([Added("qa/app.deploy", "\n" + Hashes.DeployFile(C1))], Policy, Policy));

        problem.Code.ShouldBe("UnknownEnvironment");
        problem.Line.ShouldBe(2); // the line of the hash
        problem.Message.ShouldBe("environment 'qa' is not in deployguard.yml: the deploy would be refused");
    }

    [Fact]
    public void Validate_UnknownApp_IsRefusedWithReason()
    {
        var problem = SingleProblem(Validator.Validate([Added("production/reports.deploy", Hashes.DeployFile(C1))], Policy, Policy));

        problem.Severity.ShouldBe(Severity.Error);
        problem.Code.ShouldBe("UnknownApp");
        problem.Path.ShouldBe("production/reports.deploy");
        problem.Message.ShouldBe("app 'reports' is not in deployguard.yml: the deploy would be refused");
        problem.ToString().ShouldBe("production/reports.deploy:1: error: app 'reports' is not in deployguard.yml: the deploy would be refused");
    }

    [Fact]
    public void Validate_NoPolicyAtAll_SaysToAddOne()
    {
        var problem = SingleProblem(Validator.Validate([Added("production/app.deploy", Hashes.DeployFile(C1))], null, null));

        problem.Severity.ShouldBe(Severity.Error);
        problem.Code.ShouldBe("NoPolicy");
        problem.Path.ShouldBe("production/app.deploy");
        problem.Message.ShouldContain("there is no deployguard.yml: without a policy nothing deploys");
        problem.Message.ShouldContain("environment 'production' and app 'app'");
    }

    [Fact]
    public void Validate_NoPolicyUnderConfiguredRoot_NamesTheRootPolicyPath()
    {
        var validator = new ChangeValidator(new DeployLayout("deploy"));

        var report = validator.Validate(
        [
            Added("deploy/production/app.deploy", Hashes.DeployFile(C1)),
            Added("production/app.deploy", Hashes.DeployFile(C1)),
        ], null, null);

        SingleProblem(report).Message.ShouldContain("there is no deploy/deployguard.yml");
        report.CheckedFiles.ShouldBe(["deploy/production/app.deploy"]);
    }

    [Fact]
    public void Validate_HistoryRewrittenWithDefaultProtection_IsAnError()
    {
        var report = Validator.Validate([Modified("production/app.deploy", Hashes.DeployFile(C1, "first"), Hashes.DeployFile(C2, "first"))], Policy, Policy);

        var problem = SingleProblem(report);
        problem.Severity.ShouldBe(Severity.Error);
        problem.Code.ShouldBe(nameof(DeployFileErrorCode.HistoryRewritten));
        problem.Line.ShouldBe(1);
        problem.Message.ShouldContain("history rewritten: line 1 of the previous version");
        report.HasErrors.ShouldBeTrue();
    }

    [Fact]
    public void Validate_HistoryRewrittenWhereProtectHistoryIsFalse_IsAWarning()
    {
        var report = Validator.Validate(
            [Modified("production/app.deploy", Hashes.DeployFile(C1, "first"), Hashes.DeployFile(C2, "first"))],
            PolicyUnprotectedProduction, PolicyUnprotectedProduction);

        var problem = SingleProblem(report);
        problem.Severity.ShouldBe(Severity.Warning);
        problem.Code.ShouldBe(nameof(DeployFileErrorCode.HistoryRewritten));
        problem.ToString().ShouldStartWith("production/app.deploy:1: warning: history rewritten");
        report.HasErrors.ShouldBeFalse();
    }

    [Fact]
    public void Validate_ProtectHistoryFalseInAnotherEnvironment_StillErrorsHere()
    {
        var report = Validator.Validate(
            [Modified("staging/app.deploy", Hashes.DeployFile(C1), Hashes.DeployFile(C2))],
            PolicyUnprotectedProduction, PolicyUnprotectedProduction);

        SingleProblem(report).Severity.ShouldBe(Severity.Error);
    }

    [Fact]
    public void Validate_SymlinkDeployFile_IsAnError()
    {
        var report = Validator.Validate([Added("production/app.deploy", "../staging/app.deploy", mode: "120000")], Policy, Policy);

        var problem = SingleProblem(report);
        problem.Severity.ShouldBe(Severity.Error);
        problem.Code.ShouldBe(nameof(DeployFileErrorCode.NotARegularFile));
        problem.Message.ShouldContain("not a symbolic link");
        report.CheckedFiles.ShouldBe(["production/app.deploy"]);
    }

    [Fact]
    public void Validate_SubmoduleDeployFile_IsAnError()
    {
        var report = Validator.Validate([Added("production/app.deploy", C1, mode: "160000")], Policy, Policy);

        SingleProblem(report).Code.ShouldBe(nameof(DeployFileErrorCode.NotARegularFile));
    }

    [Fact]
    public void Validate_ExecutableDeployFile_IsAccepted()
    {
        Validator.Validate([Added("production/app.deploy", Hashes.DeployFile(C1), mode: "100755")], Policy, Policy).Problems.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_DeletedDeployFile_IsCheckedButNotAnError()
    {
        var report = Validator.Validate([Deleted("production/app.deploy")], Policy, Policy);

        report.Problems.ShouldBeEmpty();
        report.CheckedFiles.ShouldBe(["production/app.deploy"]);
    }

    [Fact]
    public void Validate_DeletedDeployFileOfUnknownApp_IsNotAnError()
    {
        // Removing what the policy no longer knows is how an app is retired.
        var report = Validator.Validate([Deleted("production/retired.deploy")], Policy, Policy);

        report.Problems.ShouldBeEmpty();
        report.CheckedFiles.ShouldBe(["production/retired.deploy"]);
    }

    [Fact]
    public void Validate_InvalidDeployFile_ReportsTheFileErrorWithLine()
    {
        var report = Validator.Validate([Added("production/app.deploy", "\n" + C1[..7] + "\n")], Policy, Policy);

        var problem = SingleProblem(report);
        problem.Severity.ShouldBe(Severity.Error);
        problem.Code.ShouldBe(nameof(DeployFileErrorCode.ShortHash));
        problem.Line.ShouldBe(2);
        problem.ToString().ShouldStartWith("production/app.deploy:2: error: ");
        problem.Message.ShouldContain("use the full 40-character hash");
    }

    [Fact]
    public void Validate_PrefixOnlyContent_IsParsedAsAPrefix()
    {
        // AfterIsWhole: false means the caller read only the head of a large file.
        var file = new ChangedFile("production/app.deploy", "100644", null, Bytes(C1), AfterIsWhole: false);

        SingleProblem(Validator.Validate([file], Policy, Policy)).Code.ShouldBe(nameof(DeployFileErrorCode.WrongLength));
    }

    [Fact]
    public void Validate_LayoutErrorOfAddedFile_IsReported()
    {
        var report = Validator.Validate(
        [
            Added("app.deploy", Hashes.DeployFile(C1)),
            Added("Production/app.deploy", Hashes.DeployFile(C1)),
        ], Policy, Policy);

        report.Problems.Select(p => (p.Path, p.Code)).ShouldBe(
        [
            ("Production/app.deploy", nameof(DeployFileErrorCode.InvalidEnvironmentName)),
            ("app.deploy", nameof(DeployFileErrorCode.LayoutDepth)),
        ]);
        report.Problems.ShouldAllBe(p => p.Line == 0 && p.Severity == Severity.Error);
        report.CheckedFiles.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_LayoutErrorOfDeletedFile_IsIgnored()
    {
        // Deleting a misplaced file is the fix, not a new problem.
        Validator.Validate([Deleted("production/eu/app.deploy")], Policy, Policy).Problems.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_InvalidPolicyAfterTheChange_ReportsPolicyErrorsWithKeyAndLine()
    {
        var broken = Policy.Replace("  production: {}", "  production: { min_aprovals: 2 }", StringComparison.Ordinal);

        var report = Validator.Validate([Added("production/app.deploy", Hashes.DeployFile(C1))], Policy, broken);

        var problem = SingleProblem(report);
        problem.Code.ShouldBe("Policy");
        problem.Path.ShouldBe("deployguard.yml");
        problem.Line.ShouldBe(4);
        problem.Column.ShouldBeGreaterThan(0);
        problem.Message.ShouldStartWith("environments.production.min_aprovals: unknown key 'min_aprovals'");
        problem.ToString().ShouldStartWith($"deployguard.yml:4:{problem.Column}: error: environments.production.min_aprovals:");
    }

    [Fact]
    public void Validate_SeveralProblems_AreAllReported()
    {
        var report = Validator.Validate(
        [
            Added("production/app.deploy", "main\n"),
            Added("production/reports.deploy", Hashes.DeployFile(C1)),
            Modified("staging/app.deploy", Hashes.DeployFile(C1), Hashes.DeployFile(C2)),
            Added("staging/billing.deploy", Hashes.DeployFile(C1), mode: "120000"),
        ], Policy, Policy);

        report.Problems.Select(p => (p.Path, p.Code)).ShouldBe(
        [
            ("production/app.deploy", nameof(DeployFileErrorCode.NotHex)),
            ("production/reports.deploy", "UnknownApp"),
            ("staging/app.deploy", nameof(DeployFileErrorCode.HistoryRewritten)),
            ("staging/billing.deploy", nameof(DeployFileErrorCode.NotARegularFile)),
        ]);
        report.CheckedFiles.Count.ShouldBe(4);
    }

    [Fact]
    public void DecodePolicy_StripsTheByteOrderMark()
    {
        var text = ChangeValidator.DecodePolicy([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("version: 1\n")]);

        text.ShouldBe("version: 1\n");
    }

    [Fact]
    public void DecodePolicy_InvalidUtf8_Throws()
    {
        Should.Throw<DecoderFallbackException>(() => ChangeValidator.DecodePolicy([(byte)'v', 0xFF]));
    }

    // Regressions found while writing this suite: each failed before its fix.
    [Fact]
    public void Validate_PolicyAddedInTheSameChangeAsADeploy_SaysMergeThePolicyFirst()
    {
        var file = new ChangedFile("production/app.deploy", "100644", null, Encoding.UTF8.GetBytes(Hashes.DeployFile(Hashes.Sha1("a"))));

        var report = new ChangeValidator(new DeployLayout()).Validate([file], policyBefore: null, policyAfter: Policy);

        report.HasErrors.ShouldBeTrue();
        report.Problems.ShouldHaveSingleItem().Message.ShouldContain("merge the policy change first");
    }

    [Fact]
    public void Validate_ChangeThatTurnsOffProtectHistoryAndRewritesHistory_IsStillAnError()
    {
        var loosened = Policy.Replace("production: {}", "production: { protect_history: false }", StringComparison.Ordinal);
        var file = new ChangedFile("production/app.deploy", "100644",
            Encoding.UTF8.GetBytes(Hashes.DeployFile(Hashes.Sha1("a"))), Encoding.UTF8.GetBytes(Hashes.DeployFile(Hashes.Sha1("b"))));

        var report = new ChangeValidator(new DeployLayout()).Validate([file], policyBefore: Policy, policyAfter: loosened);

        report.Problems.ShouldHaveSingleItem().Severity.ShouldBe(Severity.Error);
    }
}
