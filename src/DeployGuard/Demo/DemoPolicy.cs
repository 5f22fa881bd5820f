using YamlDotNet.RepresentationModel;

namespace DeployGuard.Demo;

/// <summary>
/// The demo runs deploy-manifests' own policy, with one change: every pipeline becomes a local
/// <c>command</c> (a script in the sandbox), because the sandbox has no CI to call. Every other
/// rule (approvals, required reviewers, independent review, release branch, freezes) is as written.
/// </summary>
internal static class DemoPolicy
{
    public static string WithCommandPipelines(string policyYaml, string script)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(policyYaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        if (root.Children.TryGetValue(new YamlScalarNode("apps"), out var appsNode) && appsNode is YamlMappingNode apps)
        {
            foreach (var app in apps.Children.Values.OfType<YamlMappingNode>())
            {
                app.Children[new YamlScalarNode("pipeline")] = Command(script);
                if (app.Children.TryGetValue(new YamlScalarNode("environments"), out var envsNode) && envsNode is YamlMappingNode envs)
                {
                    foreach (var env in envs.Children.Values.OfType<YamlMappingNode>())
                    {
                        if (env.Children.ContainsKey(new YamlScalarNode("pipeline")))
                        {
                            env.Children[new YamlScalarNode("pipeline")] = Command(script);
                        }
                    }
                }
            }
        }

        using var writer = new StringWriter();
        writer.WriteLine("# deploy-manifests/deployguard.yml as the sandbox runs it: pipelines replaced by a local command.");
        stream.Save(writer, assignAnchors: false);
        return writer.ToString().Replace("\n...\n", "\n", StringComparison.Ordinal);
    }

    private static YamlMappingNode Command(string script) => new(
        new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode("type"), new YamlScalarNode("command")),
        new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode("command"), new YamlSequenceNode(new YamlScalarNode(script))),
        new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode("timeout"), new YamlScalarNode("1m")));
}
