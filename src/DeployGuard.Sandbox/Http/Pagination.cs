using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DeployGuard.Sandbox;

/// <summary>The <c>page</c> and <c>per_page</c> a request asked for; <see cref="Explicit"/> when it sent either.</summary>
internal readonly record struct PageRequest(int Page, int PerPage, bool Explicit);

/// <summary>
/// GitHub's page-number pagination: <c>page</c> (from 1) and <c>per_page</c> (up to 100), and a
/// <c>Link</c> header of absolute URLs in GitHub's order (prev, next, last, first), present only when
/// there is more than one page. Links keep the request's other query parameters as sent.
/// </summary>
internal static class Pagination
{
    public const int MaxPerPage = 100;

    public static PageRequest Read(HttpRequest request, int defaultPerPage)
    {
        var page = ReadInt(request, "page") is int p && p >= 1 ? p : 1;
        var perPage = ReadInt(request, "per_page") is int n && n >= 1 ? Math.Min(n, MaxPerPage) : defaultPerPage;
        return new PageRequest(page, perPage, request.Query.ContainsKey("page") || request.Query.ContainsKey("per_page"));
    }

    /// <summary>The requested page of <paramref name="all"/> and the Link header for it (null when everything fits one page).</summary>
    public static (IReadOnlyList<T> Items, string? Link) Slice<T>(IReadOnlyList<T> all, PageRequest page, HttpRequest request, EmulatorUrls urls)
    {
        var lastPage = Math.Max(1, (all.Count + page.PerPage - 1) / page.PerPage);
        var skip = (long)(page.Page - 1) * page.PerPage;
        IReadOnlyList<T> items = skip >= all.Count ? [] : [.. all.Skip((int)skip).Take(page.PerPage)];
        return (items, Link(page.Page, lastPage, n => PageUrl(request, urls, n)));
    }

    internal static string? Link(int page, int lastPage, Func<int, string> urlFor)
    {
        if (lastPage <= 1 && page <= 1)
        {
            return null;
        }

        List<string> parts = [];
        if (page > 1)
        {
            parts.Add($"<{urlFor(Math.Min(page - 1, lastPage))}>; rel=\"prev\"");
        }

        if (page < lastPage)
        {
            parts.Add($"<{urlFor(page + 1)}>; rel=\"next\"");
            parts.Add($"<{urlFor(lastPage)}>; rel=\"last\"");
        }

        if (page > 1)
        {
            parts.Add($"<{urlFor(1)}>; rel=\"first\"");
        }

        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    /// <summary>The request's own absolute URL with <c>page</c> set to <paramref name="page"/>.</summary>
    internal static string PageUrl(HttpRequest request, EmulatorUrls urls, int page)
    {
        var url = new StringBuilder(urls.Origin)
            .Append(request.PathBase.ToUriComponent())
            .Append(request.Path.ToUriComponent())
            .Append('?');
        var pageValue = page.ToString(CultureInfo.InvariantCulture);
        var replaced = false;
        var first = true;
        foreach (var part in (request.QueryString.Value ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var isPage = part == "page" || part.StartsWith("page=", StringComparison.Ordinal);
            if (isPage && replaced)
            {
                continue;
            }

            url.Append(first ? "" : "&").Append(isPage ? "page=" + pageValue : part);
            replaced |= isPage;
            first = false;
        }

        if (!replaced)
        {
            url.Append(first ? "" : "&").Append("page=").Append(pageValue);
        }

        return url.ToString();
    }

    private static int? ReadInt(HttpRequest request, string name) =>
        int.TryParse(request.Query[name].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
