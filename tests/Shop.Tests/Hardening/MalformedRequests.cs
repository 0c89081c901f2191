using System.Net.Http.Headers;
using System.Text;
using Shop.ServiceDefaults.Endpoints;

namespace Shop.Tests.Hardening;

/// <summary>What a fuzzed request may carry to get past the outer checks: a signed-in cookie and a matching antiforgery pair.</summary>
public sealed record Credentials(string? Cookie, string? AntiforgeryToken, string? AdminKey);

/// <summary>One malformed request and a word on what is wrong with it, for the failure message.</summary>
public sealed record MalformedRequest(HttpRequestMessage Message, string Defect, bool Browser);

/// <summary>
/// Makes malformed requests for an endpoint from what the inventory says it reads (route values, query, headers, JSON
/// fields, form fields): wrong types, overflowing and negative numbers, odd and huge Unicode, broken and deeply nested
/// JSON, oversized bodies, missing and duplicated fields, wrong content types. Every request has at least one defect a
/// correct service must refuse: route values never name an existing product, sale or order, and numbers never fall in a
/// valid range, so nothing is ever legitimately written.
/// </summary>
public sealed class MalformedRequests(Random random)
{
    /// <summary>Over the services' 1 MB request body limit (and Kestrel's default 30 MB, which they no longer rely on).</summary>
    public const int OversizedBodyBytes = 31 * 1024 * 1024;
    public const int HugeStringChars = 1024 * 1024;

    private static readonly string[] BadRouteValues =
    [
        "0", "-1", "-2147483648", "2147483648", "99999999", "99999999999999999999999", "1.5", "1e3", "0x10", "abc", "%00", "a%00b",
        "%FF", "%ED%A0%80", "%F0%9F%98%80", "%E2%80%AE", "%20", "AB%20CD", "..", "%2e%2e%2f", "%2F", "null", "true", "NaN",
        "00000000-0000-0000-0000-000000000000", "not-a-guid", "%C0%AF", "%25", "%", "%G1",
    ];

    private static readonly string[] OddStrings =
    [
        "", " ", "\t", "\0", "a\0b", "\r\n", "\u202Eevil\u202C", "\u200B", "\uFEFF", "😀😀😀", "👩‍👩‍👧‍👦", "ﷺ", "\u0301\u0301\u0301", "Z̴̡̛̗̈́a̷l̶g̵o̸",
        "<script>alert(1)</script>", "' OR 1=1 --", "%00", "${jndi:ldap://x}", "../../etc/passwd", "null", "NaN", "-0", "1e309",
        "a\u0000@b", "\u0085", "\uFFFF", "\uFFFE", "\u00A0", "ñáé", "中文字符", "עברית", "العربية",
    ];

    /// <summary>Never a valid quantity, product id, price, page or rate: each one out of range, of the wrong kind or overflowing.</summary>
    private static readonly string[] BadNumbers =
    [
        "0", "-1", "-0", "-2147483649", "2147483648", "9223372036854775808", "99999999", "1e309", "-1e309", "1.5", "0.0001",
        "1000000000000000000000000000000", "\"12\"", "\"abc\"", "true", "false", "null", "[]", "{}", "[1]", "NaN", "Infinity",
        "0x10", "01", "+1", "1_000", ".5", "5.", "1e2",
    ];

    private static readonly string[] WrongContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-7",
        "application/json; charset=nonsense", "application/json; charset=", "application/octet-stream", "image/png", "application/jsonx",
        "application/", ";;;", "text/html", "application/problem+json",
    ];

    private static readonly string[] AcceptHeaders = ["text/html,application/xhtml+xml,*/*;q=0.8", "application/json", "", "*/*", "application/problem+json"];

    public MalformedRequest Next(Uri baseAddress, EndpointEntry endpoint, Credentials credentials, bool oversized)
    {
        var defects = new List<string>();
        var method = endpoint.Methods.Count == 0 ? "GET" : Pick(endpoint.Methods);
        if (Chance(0.03))
        {
            method = Pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]);
            defects.Add($"method {method}");
        }
        var path = Path(endpoint, defects);
        var query = Query(endpoint, defects);
        // Joined as text: a path that starts with "//" must stay a path, not become a host.
        var message = new HttpRequestMessage(new HttpMethod(method), new Uri(baseAddress.GetLeftPart(UriPartial.Authority) + path + query));

        var accept = Pick(AcceptHeaders);
        if (accept.Length > 0)
        {
            message.Headers.TryAddWithoutValidation("Accept", accept);
        }
        Headers(message, endpoint, credentials, defects);

        var hasBody = method is "POST" or "PUT" or "PATCH" || Chance(0.05);
        if (hasBody)
        {
            message.Content = oversized
                ? Oversized(defects)
                : endpoint.Inputs.Any(i => i.Source is "form" or "page-form") || endpoint.Antiforgery
                    ? Form(endpoint, credentials, defects)
                    : Json(endpoint, defects);
        }
        if (defects.Count == 0)
        {
            defects.Add("no defect beyond its values");
        }
        return new MalformedRequest(message, string.Join("; ", defects), accept.Contains("text/html"));
    }

    private string Path(EndpointEntry endpoint, List<string> defects)
    {
        var segments = endpoint.Route.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].StartsWith('{'))
            {
                var value = Chance(0.05) ? new string('9', random.Next(100, 4000)) : Pick(BadRouteValues);
                defects.Add($"route {segments[i]}={Shorten(value)}");
                segments[i] = value;
            }
        }
        var path = string.Join('/', segments);
        if (Chance(0.03))
        {
            path += Pick(["/", "//", "/extra", "%00", ".json", "/..%2f"]);
            defects.Add("path suffix");
        }
        return path.StartsWith('/') ? path : "/" + path;
    }

    private string Query(EndpointEntry endpoint, List<string> defects)
    {
        var names = endpoint.Inputs.Where(i => i.Source == "query").Select(i => i.Name).ToList();
        if (names.Count == 0 && !Chance(0.2))
        {
            return "";
        }
        var pairs = new List<string>();
        foreach (var name in names.Concat(["page", "q", "id", "from"]).Where(_ => Chance(0.6)))
        {
            var value = QueryValue();
            pairs.Add($"{Uri.EscapeDataString(name)}={value}");
            if (Chance(0.15))
            {
                pairs.Add($"{Uri.EscapeDataString(name)}={QueryValue()}");
                defects.Add($"query {name} twice");
            }
            defects.Add($"query {name}={Shorten(value)}");
        }
        if (Chance(0.05))
        {
            pairs.Add(string.Join('&', Enumerable.Range(0, 300).Select(i => $"k{i}=v")));
            defects.Add("300 query keys");
        }
        return pairs.Count == 0 ? "" : "?" + string.Join('&', pairs);
    }

    private string QueryValue() => random.Next(6) switch
    {
        0 => Pick(BadRouteValues),
        1 => Uri.EscapeDataString(Pick(OddStrings.Where(s => !s.Contains('\0')).ToArray())) + Pick(["", "%00", "%FF", "%ED%A0%80"]),
        2 => Pick(BadNumbers).Trim('"'),
        3 => new string('x', random.Next(101, 6000)),
        4 => "%" + Pick(["", "G", "0", "ZZ"]),
        _ => Pick(["2026-13-45", "9999-12-31", "0001-01-01", "2026-11-27T25:00Z", "-1", "hour%00", "DAY", "week", "1970-01-01", "99999-01-01"]),
    };

    private void Headers(HttpRequestMessage message, EndpointEntry endpoint, Credentials credentials, List<string> defects)
    {
        var cookies = new List<string>();
        if (credentials.Cookie is { } cookie && Chance(0.8))
        {
            cookies.Add(cookie);
        }
        if (Chance(0.2))
        {
            cookies.Add($"{Pick(["shop.cart", "shop.wr.ticket", "shop.wr.admission", "shop.staff", ".AspNetCore.Antiforgery.x"])}={Pick(["", "garbage", new string('a', 32), new string('A', 5000), "%00", "a.b.c", "v1.e30.AAAA"])}");
            defects.Add("odd cookie");
        }
        if (cookies.Count > 0)
        {
            message.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", cookies));
        }
        if (endpoint.Access.Policies.Contains("AdminKey"))
        {
            // Mostly the right key, so that bad input reaches the handler behind the policy; sometimes a wrong one.
            var key = credentials.AdminKey is { } admin && Chance(0.85) ? admin : Pick(["", "wrong", new string('k', 10000), "Bearer x"]);
            message.Headers.TryAddWithoutValidation("X-Admin-Key", key);
        }
        foreach (var header in endpoint.Inputs.Where(i => i.Source == "header").Select(i => i.Name)
                     .Concat(["Idempotency-Key", "X-Waiting-Ticket", "X-Admission-Token"]).Where(_ => Chance(0.4)))
        {
            var value = Pick(["", " ", new string('k', 65), new string('k', 7000), "ключ", "a b", "\"quoted\"", "v1.AAAA.BBBB", "..", "%00", "null"]);
            // Latin-1 only: a header cannot carry other characters on the wire.
            message.Headers.TryAddWithoutValidation(header, Encoding.Latin1.GetString(Encoding.Latin1.GetBytes(value)));
            if (Chance(0.2))
            {
                message.Headers.TryAddWithoutValidation(header, "second");
            }
            defects.Add($"header {header}");
        }
    }

    private HttpContent Json(EndpointEntry endpoint, List<string> defects)
    {
        var fields = endpoint.Inputs.Where(i => i.Source == "body-field").ToList();
        var (body, defect) = random.Next(10) switch
        {
            0 => (Pick(["{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "[", "}", "nul", "{\"a\":1}}", "\"unterminated", "{\"a\" 1}", "/* c */ {}", "\uFEFF{}", "{\"a\":0x10}", "{\"a\":NaN}"]), "broken JSON"),
            1 => (random.Next(2) == 0 ? new string('[', 5000) + new string(']', 5000) : string.Concat(Enumerable.Repeat("{\"a\":", 3000)) + "1" + new string('}', 3000), "deeply nested JSON"),
            2 => (Pick(["", "null", "[]", "1", "\"text\"", "true", "{}"]), "missing or wrong body"),
            3 => ("{" + string.Join(',', fields.Where(f => !f.Name.Contains('.') && !f.Name.Contains('[')).Select(f => $"\"{f.Name}\":1,\"{f.Name}\":\"dup\"")) + "}", "duplicated fields"),
            4 => ("{\"s\":\"" + new string('x', HugeStringChars) + "\"}", "1 MB string"),
            _ => (Document(fields, defects), "fields with bad values"),
        };
        defects.Add(defect);
        byte[] bytes = random.Next(20) == 0 ? [0xFF, 0xFE, 0xC0, 0x80, (byte)'{', 0xED, 0xA0, 0x80, (byte)'}'] : Encoding.UTF8.GetBytes(body);
        var content = new ByteArrayContent(bytes);
        var contentType = Chance(0.2) ? Pick(WrongContentTypes) : "application/json";
        if (contentType != "application/json")
        {
            defects.Add($"content type {contentType}");
        }
        if (!Chance(0.05))
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        return content;
    }

    /// <summary>A JSON document shaped like the body the endpoint expects, with every value chosen to be refused.</summary>
    private string Document(IReadOnlyList<EndpointInput> fields, List<string> defects)
    {
        var roots = fields.Where(f => !f.Name.Contains('.') && !f.Name.Contains('[')).ToList();
        var members = new List<string>();
        foreach (var field in roots.Where(_ => Chance(0.85)))
        {
            members.Add($"\"{field.Name}\":{Value(field, fields, 0)}");
        }
        if (Chance(0.2))
        {
            members.Add($"\"{Pick(["__proto__", "$type", "unknown", "", "\\u0000"])}\":{Pick(BadNumbers)}");
            defects.Add("unknown member");
        }
        return "{" + string.Join(',', members) + "}";
    }

    private string Value(EndpointInput field, IReadOnlyList<EndpointInput> all, int depth)
    {
        var children = all.Where(f => f.Name.StartsWith(field.Name + ".", StringComparison.Ordinal) && f.Name.Count(c => c == '.') == field.Name.Count(c => c == '.') + 1).ToList();
        var elements = all.Where(f => f.Name.StartsWith(field.Name + "[].", StringComparison.Ordinal) && f.Name.Count(c => c == '.') == field.Name.Count(c => c == '.') + 1).ToList();
        if (Chance(0.1) || depth > 3)
        {
            return Pick(BadNumbers);
        }
        if (elements.Count > 0)
        {
            var count = Pick([0, 1, 2, 21, 500]);
            return "[" + string.Join(',', Enumerable.Range(0, count).Select(_ =>
                Chance(0.1) ? "null" : "{" + string.Join(',', elements.Where(_ => Chance(0.85)).Select(e => $"\"{e.Name[(e.Name.LastIndexOf('.') + 1)..]}\":{Value(e, all, depth + 1)}")) + "}")) + "]";
        }
        if (children.Count > 0)
        {
            return "{" + string.Join(',', children.Where(_ => Chance(0.85)).Select(c => $"\"{c.Name[(c.Name.LastIndexOf('.') + 1)..]}\":{Value(c, all, depth + 1)}")) + "}";
        }
        return field.Type.TrimEnd('?') switch
        {
            "String" => Chance(0.7) ? JsonString(Pick(OddStrings)) : Pick(BadNumbers),
            "DateTimeOffset" or "DateTime" or "DateOnly" => Pick(["\"2026-13-45\"", "\"9999-12-31T23:59:59Z\"", "\"0001-01-01\"", "\"\"", "\"yesterday\"", "0", "\"2026-11-27T09:00:00+25:00\""]),
            _ => Pick(BadNumbers),
        };
    }

    private string JsonString(string value)
    {
        var escaped = System.Text.Json.JsonEncodedText.Encode(value).ToString();
        return Chance(0.1) ? "\"" + Pick(["\\ud800", "\\udfff", "\\ud800\\ud800", "a\\ud83d", "\\u0000"]) + escaped + "\"" : $"\"{escaped}\"";
    }

    private HttpContent Form(EndpointEntry endpoint, Credentials credentials, List<string> defects)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var input in endpoint.Inputs.Where(i => i.Source is "form" or "page-form" && Chance(0.8)))
        {
            fields.Add(new(input.Name, FormValue(input)));
            if (Chance(0.1))
            {
                fields.Add(new(input.Name, FormValue(input)));
                defects.Add($"form {input.Name} twice");
            }
        }
        if (credentials.AntiforgeryToken is { } token && Chance(0.7))
        {
            fields.Add(new("__RequestVerificationToken", Chance(0.1) ? token[..^4] + "AAAA" : token));
        }
        else
        {
            defects.Add("no antiforgery token");
        }
        if (endpoint.Kind == EndpointInventory.Kinds.Page)
        {
            fields.Add(new("_handler", Pick(["login", "add-staff", "checkout", "", "nope", new string('h', 3000)])));
        }
        if (Chance(0.1))
        {
            defects.Add("form field with 1 MB value");
            fields.Add(new("big", new string('x', HugeStringChars)));
        }
        if (Chance(0.03))
        {
            defects.Add("2000 form keys");
            fields.AddRange(Enumerable.Range(0, 2000).Select(i => new KeyValuePair<string, string>($"k{i}", "v")));
        }
        var encoded = string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={EscapeForm(f.Value)}"));
        var content = new StringContent(encoded, Encoding.UTF8);
        content.Headers.ContentType = Chance(0.15) ? MediaTypeHeaderValue.Parse(Pick(["application/json", "text/plain", "multipart/form-data; boundary=zz"])) : new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        return content;
    }

    /// <summary>Form fields are bound leniently ("01" and "+1" read as 1), so only what can never name a product or quantity.</summary>
    private static readonly string[] BadFormNumbers =
        [.. BadNumbers.Select(n => n.Trim('"')).Where(n => !(decimal.TryParse(n, System.Globalization.NumberStyles.Any, System.Globalization.CultureInfo.InvariantCulture, out var v) && v is > 0 and <= 100_000))];

    private string FormValue(EndpointInput input) => input.Type.TrimEnd('?') switch
    {
        "Int32" or "Int64" or "Decimal" => Pick(BadFormNumbers),
        "Boolean" => Pick(["maybe", "", "2", "on%00", "TRUE1"]),
        _ => Chance(0.05) ? new string('y', random.Next(300, 20_000)) : Pick(OddStrings),
    };

    private static string EscapeForm(string value)
    {
        // Lone surrogates cannot be escaped as UTF-8; send them as the bytes a broken client would.
        try
        {
            return Uri.EscapeDataString(value);
        }
        catch (UriFormatException)
        {
            return "%ED%A0%80";
        }
    }

    private ByteArrayContent Oversized(List<string> defects)
    {
        defects.Add($"body of {OversizedBodyBytes / 1024 / 1024} MB");
        var body = new byte[OversizedBodyBytes];
        Array.Fill(body, (byte)'a');
        body[0] = (byte)'"';
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private bool Chance(double p) => random.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Shorten(string value) => value.Length > 40 ? $"{value[..20]}…({value.Length} chars)" : value;
}
