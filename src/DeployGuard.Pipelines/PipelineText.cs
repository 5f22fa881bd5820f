using System.Globalization;
using System.Text;

namespace DeployGuard.Pipelines;

/// <summary>How pipeline failures are written into reasons: one short line, safe for a ledger trailer.</summary>
internal static class PipelineText
{
    /// <summary>Most characters of someone else's text (a response body, a stderr line) quoted in a reason.</summary>
    public const int MaxQuoted = 200;

    /// <summary>
    /// Durations as Go and the policy file write them: <c>10m0s</c>, <c>2h0m0s</c>, <c>30s</c>, <c>1.5s</c>,
    /// <c>250ms</c>.
    /// </summary>
    public static string Duration(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            return "-" + Duration(value.Negate());
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            return ((long)Math.Round(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var hours = (long)value.TotalHours;
        var seconds = value.TotalSeconds - (hours * 3600) - (value.Minutes * 60);
        var secondsText = Math.Round(seconds, 3).ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return hours > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{hours}h{value.Minutes}m{secondsText}")
            : value.Minutes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{value.Minutes}m{secondsText}") : secondsText;
    }

    /// <summary>
    /// Someone else's text made fit for a one-line reason: control and format characters (newlines, escapes, bidi
    /// overrides) become spaces, runs of white space one space, at most <paramref name="max"/> characters.
    /// </summary>
    public static string Quote(string text, int max = MaxQuoted)
    {
        var result = new StringBuilder(Math.Min(text.Length, max));
        var space = false;
        foreach (var c in text)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                space = result.Length > 0;
                continue;
            }

            if (space)
            {
                if (result.Length + 1 >= max)
                {
                    break;
                }

                result.Append(' ');
                space = false;
            }

            if (result.Length >= max)
            {
                break;
            }

            result.Append(c);
        }

        // Never end on half of a surrogate pair.
        if (result.Length > 0 && char.IsHighSurrogate(result[^1]))
        {
            result.Length--;
        }

        return result.ToString();
    }

    /// <summary>Scheme, host, port and path only: a query string or user info can carry a token.</summary>
    public static string SafeUrl(Uri url) =>
        url.IsAbsoluteUri
            ? url.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.Port | UriComponents.Path, UriFormat.UriEscaped)
            : "(relative URL)";

    /// <summary>
    /// <paramref name="text"/> with the URL's query string and user info, and <paramref name="secret"/>, cut out: for
    /// text that may echo the request (an error page, an exception message).
    /// </summary>
    public static string Redact(string text, Uri url, string? secret = null)
    {
        List<string> secrets = [];
        if (url.IsAbsoluteUri)
        {
            secrets.AddRange([url.Query.TrimStart('?'), Uri.UnescapeDataString(url.Query.TrimStart('?')), url.UserInfo]);
        }

        if (secret is not null)
        {
            secrets.Add(secret);
        }

        foreach (var value in secrets.Where(v => v.Length > 0).OrderByDescending(v => v.Length))
        {
            text = text.Replace(value, "[redacted]", StringComparison.Ordinal);
        }

        return text;
    }
}
