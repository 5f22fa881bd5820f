namespace DeployGuard.GitHub.Http;

/// <summary>Reads RFC 8288 <c>Link</c> headers as GitHub sends them: <c>&lt;url&gt;; rel="next", &lt;url&gt;; rel="last"</c>.</summary>
internal static class LinkHeader
{
    /// <summary>The absolute URL of the link whose <c>rel</c> list contains <paramref name="relation"/>, or null.</summary>
    public static Uri? Find(IEnumerable<string> values, string relation)
    {
        foreach (var value in values)
        {
            var rest = value.AsSpan();
            while (true)
            {
                var open = rest.IndexOf('<');
                if (open < 0)
                {
                    break;
                }

                var close = rest[open..].IndexOf('>');
                if (close < 0)
                {
                    break;
                }

                var target = rest.Slice(open + 1, close - 1).Trim();
                rest = rest[(open + close + 1)..];

                // Parameters run until the next link, which starts with '<'.
                var next = rest.IndexOf('<');
                var parameters = next < 0 ? rest : rest[..next];
                if (HasRelation(parameters, relation) && Uri.TryCreate(target.ToString(), UriKind.Absolute, out var uri))
                {
                    return uri;
                }
            }
        }

        return null;
    }

    private static bool HasRelation(ReadOnlySpan<char> parameters, string relation)
    {
        foreach (var range in parameters.Split(';'))
        {
            var parameter = parameters[range].Trim();
            var eq = parameter.IndexOf('=');
            if (eq < 0 || !parameter[..eq].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // The separator before the next link may still trail the value: rel="next",
            var rels = parameter[(eq + 1)..].Trim().TrimEnd(',').Trim().Trim('"');
            foreach (var r in rels.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (r.Equals(relation, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
