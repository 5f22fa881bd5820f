using DeployGuard.Core.DeployFiles;

namespace DeployGuard.Tests.Core.DeployFiles;

/// <summary>The layout rules of SPEC §1: a deploy file is exactly &lt;root&gt;/&lt;environment&gt;/&lt;app&gt;.deploy.</summary>
public sealed class DeployLayoutTests
{
    private static readonly string Name63 = "a" + new string('b', 62);
    private static readonly string Name64 = "a" + new string('b', 63);

    private static readonly DeployLayout RootLayout = new();

    public static TheoryData<string, string, string, string> DeployFiles => new()
    {
        { "an environment folder and an app file", "production/app.deploy", "production", "app" },
        { "digits, dots, underscores and dashes inside names", "eu-west_1.prod/app.v2-x_y.deploy", "eu-west_1.prod", "app.v2-x_y" },
        { "names may start with a digit", "1prod/9app.deploy", "1prod", "9app" },
        { "one-character names", "p/a.deploy", "p", "a" },
        { "63-character names are the longest allowed", $"{Name63}/{Name63}.deploy", Name63, Name63 },
        { "a double dot inside a name is only a character (SPEC pattern)", "production/a..b.deploy", "production", "a..b" },
    };

    [Theory]
    [MemberData(nameof(DeployFiles))]
    public void Classify_ValidDeployFile_ReturnsEnvironmentAndApp(string rule, string path, string environment, string app)
    {
        _ = rule;
        var result = RootLayout.Classify(path);

        result.Kind.ShouldBe(PathKind.DeployFile);
        result.Error.ShouldBeNull();
        result.Location.ShouldBe(new DeployFileLocation(environment, app, path));
        result.Location!.Key.ShouldBe($"{environment}/{app}");
    }

    public static TheoryData<string, string, DeployFileErrorCode, string> LayoutErrors => new()
    {
        { "a deploy file at the root has no environment", "app.deploy", DeployFileErrorCode.LayoutDepth, "at the top of the deploy folder" },
        { "a nested folder is not an environment", "production/eu/app.deploy", DeployFileErrorCode.LayoutDepth, "2 folders deep" },
        { "a dot folder still counts as a level", "production/./app.deploy", DeployFileErrorCode.LayoutDepth, "one folder deep" },
        { "environment names are lowercase", "Production/app.deploy", DeployFileErrorCode.InvalidEnvironmentName, "environment name 'Production' is invalid" },
        { "app names are lowercase", "production/App.deploy", DeployFileErrorCode.InvalidAppName, "app name 'App' is invalid" },
        { "the extension is lowercase", "production/app.DEPLOY", DeployFileErrorCode.ExtensionCase, "rename the file to 'app.deploy'" },
        { "a mixed-case extension", "production/app.Deploy", DeployFileErrorCode.ExtensionCase, "must be lowercase '.deploy'" },
        { "the extension case is reported before the depth", "app.Deploy", DeployFileErrorCode.ExtensionCase, "rename the file to 'app.deploy'" },
        { "an environment named '..'", "../app.deploy", DeployFileErrorCode.InvalidEnvironmentName, "environment name '..' is invalid" },
        { "an app named '..'", "production/...deploy", DeployFileErrorCode.InvalidAppName, "app name '..' is invalid" },
        { "an environment starting with '-'", "-prod/app.deploy", DeployFileErrorCode.InvalidEnvironmentName, "starting with a letter or digit" },
        { "an environment starting with '.'", ".prod/app.deploy", DeployFileErrorCode.InvalidEnvironmentName, "starting with a letter or digit" },
        { "an app starting with '-'", "production/-app.deploy", DeployFileErrorCode.InvalidAppName, "starting with a letter or digit" },
        { "an app starting with '.'", "production/.app.deploy", DeployFileErrorCode.InvalidAppName, "starting with a letter or digit" },
        { "an app starting with '_'", "production/_app.deploy", DeployFileErrorCode.InvalidAppName, "starting with a letter or digit" },
        { "a file named only '.deploy' has an empty app name", "production/.deploy", DeployFileErrorCode.InvalidAppName, "app name '' is invalid" },
        { "a 64-character environment name", $"{Name64}/app.deploy", DeployFileErrorCode.InvalidEnvironmentName, "1 to 63 characters" },
        { "a 64-character app name", $"production/{Name64}.deploy", DeployFileErrorCode.InvalidAppName, "1 to 63 characters" },
        { "spaces are not allowed", "production/my app.deploy", DeployFileErrorCode.InvalidAppName, "app name 'my app' is invalid" },
        { "non-ASCII letters are not allowed", "producci\u00F3n/app.deploy", DeployFileErrorCode.InvalidEnvironmentName, "lowercase letters, digits" },
    };

    [Theory]
    [MemberData(nameof(LayoutErrors))]
    public void Classify_LayoutRuleBroken_ReportsCodeAndFix(string rule, string path, DeployFileErrorCode code, string fix)
    {
        _ = rule;
        var result = RootLayout.Classify(path);

        result.Kind.ShouldBe(PathKind.LayoutError);
        result.Location.ShouldBeNull();
        var error = result.Error.ShouldNotBeNull();
        error.Code.ShouldBe(code);
        error.Path.ShouldBe(path);
        error.Line.ShouldBe(0); // the place of the file is wrong, not a line of it
        error.Message.ShouldContain(fix);
        error.ToString().ShouldBe($"{path}: {error.Message}");
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("production/notes.txt")]
    [InlineData("production/app.deploy.bak")]
    [InlineData("production/app.deploy/readme")]
    [InlineData("production/app.deployment")]
    [InlineData(".github/workflows/check.yml")]
    [InlineData("production/deployguard.yml")]
    [InlineData("deployguard.yaml")]
    [InlineData("Deployguard.yml")]
    public void Classify_OtherFiles_AreIgnored(string path)
    {
        RootLayout.Classify(path).ShouldBe(new PathClassification(PathKind.Other, null, null));
    }

    [Fact]
    public void Classify_PolicyFileAtTheRoot_IsPolicy()
    {
        RootLayout.Classify("deployguard.yml").Kind.ShouldBe(PathKind.Policy);
        RootLayout.PolicyPath.ShouldBe("deployguard.yml");
        RootLayout.Pathspec.ShouldBeNull();
    }

    [Theory]
    [InlineData("deploy")]
    [InlineData("deploy/")]
    [InlineData("/deploy/")]
    [InlineData("./deploy")]
    [InlineData("deploy\\")]
    public void Constructor_ConfiguredRoot_IsNormalised(string root)
    {
        var layout = new DeployLayout(root);

        layout.Root.ShouldBe("deploy");
        layout.PolicyPath.ShouldBe("deploy/deployguard.yml");
        layout.Pathspec.ShouldBe("deploy/");
        layout.PathOf("production", "app").ShouldBe("deploy/production/app.deploy");
    }

    [Theory]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("./")]
    public void Constructor_RepositoryRoot_HasEmptyRoot(string root)
    {
        var layout = new DeployLayout(root);

        layout.Root.ShouldBe("");
        layout.PathOf("staging", "billing").ShouldBe("staging/billing.deploy");
        layout.Pathspec.ShouldBeNull();
    }

    [Theory]
    [InlineData("..")]
    [InlineData("deploy/../other")]
    [InlineData("deploy//nested")]
    [InlineData("deploy/./nested")]
    public void Constructor_RootThatLeavesOrBendsThePath_Throws(string root)
    {
        Should.Throw<ArgumentException>(() => new DeployLayout(root)).ParamName.ShouldBe("root");
    }

    [Fact]
    public void Classify_UnderConfiguredRoot_FindsDeployFilesAndPolicy()
    {
        var layout = new DeployLayout("deploy");

        var deployFile = layout.Classify("deploy/production/app.deploy");
        deployFile.Kind.ShouldBe(PathKind.DeployFile);
        deployFile.Location.ShouldBe(new DeployFileLocation("production", "app", "deploy/production/app.deploy"));

        layout.Classify("deploy/deployguard.yml").Kind.ShouldBe(PathKind.Policy);
        layout.Classify("deploy/app.deploy").Error!.Code.ShouldBe(DeployFileErrorCode.LayoutDepth);
    }

    [Theory]
    [InlineData("production/app.deploy")]
    [InlineData("deployguard.yml")]
    [InlineData("deployment/production/app.deploy")]
    [InlineData("other/deploy/production/app.deploy")]
    [InlineData("Deploy/production/app.deploy")]
    public void Classify_OutsideConfiguredRoot_IsIgnored(string path)
    {
        new DeployLayout("deploy").Classify(path).Kind.ShouldBe(PathKind.Other);
    }

    [Fact]
    public void Classify_NestedRoot_UsesTheWholePrefix()
    {
        var layout = new DeployLayout("ops/deploy");

        layout.Classify("ops/deploy/staging/app.deploy").Location!.Key.ShouldBe("staging/app");
        layout.Classify("ops/staging/app.deploy").Kind.ShouldBe(PathKind.Other);
    }

    [Theory]
    [InlineData("100644")]
    [InlineData("100755")]
    public void CheckMode_RegularFile_IsAccepted(string mode)
    {
        DeployLayout.CheckMode("production/app.deploy", mode).ShouldBeNull();
    }

    [Theory]
    [InlineData("120000", "not a symbolic link")]
    [InlineData("160000", "not a submodule")]
    [InlineData("040000", "git mode 040000")]
    public void CheckMode_NotARegularFile_IsAnError(string mode, string reason)
    {
        var error = DeployLayout.CheckMode("production/app.deploy", mode).ShouldNotBeNull();

        error.Code.ShouldBe(DeployFileErrorCode.NotARegularFile);
        error.Path.ShouldBe("production/app.deploy");
        error.Message.ShouldContain(reason);
    }

    [Theory]
    [InlineData("app", true)]
    [InlineData("a", true)]
    [InlineData("0", true)]
    [InlineData("", false)]
    [InlineData("App", false)]
    [InlineData("a/b", false)]
    [InlineData("-a", false)]
    [InlineData(".a", false)]
    [InlineData("a b", false)]
    public void IsValidName_FollowsTheSpecPattern(string name, bool valid)
    {
        DeployLayout.IsValidName(name).ShouldBe(valid);
    }

    [Fact]
    public void IsValidName_LengthLimitIs63()
    {
        DeployLayout.IsValidName(Name63).ShouldBeTrue();
        DeployLayout.IsValidName(Name64).ShouldBeFalse();
    }

    // Regressions found while writing this suite: each failed before its fix.
    [Theory]
    [InlineData("app\n")]
    [InlineData("production\n")]
    public void IsValidName_TrailingNewline_IsInvalid(string name)
    {
        DeployLayout.IsValidName(name).ShouldBeFalse();
    }

    [Fact]
    public void Classify_EnvironmentFolderWithTrailingNewline_IsALayoutError()
    {
        var result = new DeployLayout().Classify("production\n/app.deploy");

        result.Kind.ShouldBe(PathKind.LayoutError);
        result.Error!.Code.ShouldBe(DeployFileErrorCode.InvalidEnvironmentName);
    }
}
