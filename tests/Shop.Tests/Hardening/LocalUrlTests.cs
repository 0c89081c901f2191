using Shop.ServiceDefaults.Security;

namespace Shop.Tests.Hardening;

/// <summary>
/// The shop's one rule for return URLs (<see cref="LocalUrl"/>), held to a table of good and evil inputs. ReturnUrlTests
/// runs the same table through the scripts' copy of the rule (local-url.js) in Chromium.
/// </summary>
public sealed class LocalUrlTests
{
    /// <summary>Each value as the rule receives it (already decoded from the query string once) and whether it stays on the site.</summary>
    public static TheoryData<string?, bool> Cases => new()
    {
        { "/", true },
        { "/product/3", true },
        { "/search?q=swift", true },
        { "/ok?x=//y", true },
        { "/ok?x=%2F%2Fy", true },
        { "/ok?next=https://evil.example/", true },
        { "/cart#top", true },
        { "/product/4702?returnUrl=%2Fcart", true },
        { "/reports/sales?from=2026-11-01", true },
        { "/a/b/../c", true },
        { "/caf%C3%A9", true },
        { "/\t/evil.example/", false },        // the input, /%09/evil.example/, once decoded
        { "/%09/evil.example/", false },       // the same, still encoded (a hop that decodes again)
        { "/\n/evil.example/", false },
        { "/\r\n/evil.example/", false },
        { "/%0a/evil.example/", false },
        { "/%0D%0A/evil.example/", false },
        { "/\0/evil.example/", false },
        { "/%00/evil.example/", false },
        { "/\u007F/evil.example/", false },
        { "/\u0085/evil.example/", false },
        { "/\\evil.example", false },
        { "/\\/evil.example", false },
        { "\\\\evil.example", false },
        { "\\/evil.example", false },
        { "/%5Cevil.example", false },
        { "/%5c%5cevil.example", false },
        { "//evil.example", false },
        { "///evil.example", false },
        { "//\tevil.example", false },
        { "/%2F/evil.example", false },
        { "/%2fevil.example", false },
        { "/..//evil.example", false },
        { "\t//evil.example", false },
        { " /evil.example", false },
        { "https://evil.example/", false },
        { "http:/evil.example", false },
        { "http:evil.example", false },
        { "javascript:alert(1)", false },
        { "JaVaScRiPt:alert(1)", false },
        { "data:text/html,<script>alert(1)</script>", false },
        { "evil.example", false },
        { "%2F%2Fevil.example", false },
        { "", false },
        { null, false },
        { "/" + new string('a', LocalUrl.MaxLength), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_return_url_is_local_only_when_it_cannot_leave_the_site(string? url, bool local)
    {
        Assert.Equal(local, LocalUrl.IsLocal(url));
        Assert.Equal(local ? url : LocalUrl.Home, LocalUrl.OrHome(url));
    }
}
