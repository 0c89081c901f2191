using System.Text;

namespace Shop.AppHost.Edge;

/// <summary>Everything the edge needs to know to write its nginx configuration.</summary>
/// <param name="WorkerUser">Who nginx's workers run as when its master runs as root (null: nginx's own default).</param>
/// <param name="RedirectHttpToHttps">Send every http request to https (<c>Shop:Edge:RedirectHttpToHttps</c>).</param>
/// <param name="PublicHttpsPort">The https port clients reach, for the redirect (default: <paramref name="HttpsPort"/>).</param>
/// <param name="ApiHosts">
/// Where each API instance runs, one host per <paramref name="ApiPorts"/> entry, when the instances are not all on
/// <paramref name="UpstreamHost"/> (hosts of their own, as on a cluster).
/// </param>
public sealed record EdgeLayout(
    int HttpPort,
    int HttpsPort,
    string UpstreamHost,
    int WebPort,
    IReadOnlyList<int> ApiPorts,
    int BlobPort,
    int StaffHttpsPort,
    int ReportingPort,
    string StateDirectory,
    string CertificateFile,
    string CertificateKeyFile,
    string? WorkerUser,
    bool RedirectHttpToHttps = false,
    int? PublicHttpsPort = null,
    IReadOnlyList<string>? ApiHosts = null)
{
    /// <summary>Debian's web server user: nginx's workers drop to it from a root master (Debian's nginx default is nobody).</summary>
    public const string LocalWorkerUser = "www-data";

    /// <summary>The unprivileged user of a local edge started by this process: none unless it runs as root.</summary>
    public static string? LocalWorker => Local.LocalProcessExtensions.RunningAsRoot ? LocalWorkerUser : null;
}

/// <summary>
/// Generates the edge's nginx.conf: load balancer, TLS terminator and CDN-style cache in one place, and the staff
/// reports' https entrance on a port of their own (staff passwords never cross the network in the clear).
/// </summary>
public static class EdgeConfig
{
    public const string HealthPath = "/edge-health";

    /// <summary>
    /// Written into every proxying location: nginx inherits proxy_set_header from the server block only into
    /// locations that set none of their own, and each location here sets Connection. X-Forwarded-For and
    /// X-Real-IP are replaced, not appended to, so a client cannot forge the address that per-IP limits behind the
    /// edge count; the other forwarding headers a client might send are dropped (an empty value removes a header).
    /// Host stays nginx's default (the upstream's name), which lets proxy_redirect turn the storefront's redirects
    /// back into the address the browser used, port and scheme included.
    /// </summary>
    private const string Forwarded = """
                            proxy_set_header X-Forwarded-For $remote_addr;
                            proxy_set_header X-Real-IP $remote_addr;
                            proxy_set_header X-Forwarded-Proto $scheme;
                            proxy_set_header X-Forwarded-Host "";
                            proxy_set_header X-Forwarded-Port "";
                            proxy_set_header X-Forwarded-Prefix "";
                            proxy_set_header Forwarded "";
            """;

    /// <summary>
    /// The storefront is static server rendering plus a few same-origin scripts, so nothing inline runs and nothing
    /// loads from elsewhere. Styles allow inline because Blazor may set style attributes on what it renders.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// On every response, errors included (<c>always</c>). Written into the server block and again into each location
    /// with an add_header of its own: nginx drops the server's add_header lines in such a location. HSTS goes out
    /// over https only (an empty value sends no header); browsers ignore it over http anyway.
    /// </summary>
    private const string SecurityHeaders = $"""
                        add_header Strict-Transport-Security $hsts always;
                        add_header Content-Security-Policy "{ContentSecurityPolicy}" always;
                        add_header X-Content-Type-Options nosniff always;
                        add_header X-Frame-Options DENY always;
                        add_header Referrer-Policy strict-origin-when-cross-origin always;
            """;

    /// <summary>
    /// The answers the edge makes itself (an upstream down or too slow, a body too large, a malformed request) or makes
    /// in place of the blob store's: the shop's own words, never nginx's page or the upstream's body and headers, never
    /// stored by anyone (<c>no-store</c>). Each status has two named locations, a problem for machines
    /// (<c>@problem_NNN</c>) and a small page for browsers (<c>@page_NNN</c>). 494 is nginx's name for headers too
    /// large; it answers 431.
    /// </summary>
    public static readonly IReadOnlyList<EdgeError> Errors =
    [
        new(400, 400, "Bad Request", "The request could not be understood."),
        new(403, 403, "Forbidden", "This address cannot be used this way."),
        new(404, 404, "Not Found", "There is nothing at this address."),
        new(405, 405, "Method Not Allowed", "Assets can only be read, with GET or HEAD."),
        new(408, 408, "Request Timeout", "The request took too long to arrive."),
        new(413, 413, "Content Too Large", "The request body is larger than the shop accepts (at most 1 MB)."),
        new(414, 414, "URI Too Long", "The address is longer than the shop accepts."),
        new(416, 416, "Range Not Satisfiable", "The requested range is outside the asset."),
        new(494, 431, "Request Header Fields Too Large", "The request headers are larger than the shop accepts."),
        new(500, 500, "Internal Server Error", "Something went wrong on our side. Please try again in a moment."),
        new(502, 502, "Bad Gateway", "This part of the shop is not reachable right now. Please try again in a moment."),
        new(503, 503, "Service Unavailable", "This part of the shop is not available right now. Please try again in a moment."),
        new(504, 504, "Gateway Timeout", "This part of the shop did not answer in time. Please try again in a moment."),
    ];

    /// <summary>Mozilla "intermediate" TLS 1.2 suites; TLS 1.3's suites are all forward-secret AEAD and stay OpenSSL's.</summary>
    public const string TlsCiphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" +
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

    /// <summary>
    /// What the blob store adds to a download (Azurite's own list of Get Blob response headers, as Azure's): its
    /// internals, plus a Cache-Control the edge sets itself. The shop sets no x-ms-meta-* metadata on assets.
    /// </summary>
    private static readonly string[] BlobHeaders =
    [
        "Cache-Control", "Expires", "Content-MD5", "x-ms-blob-committed-block-count", "x-ms-blob-content-md5",
        "x-ms-blob-sealed", "x-ms-blob-sequence-number", "x-ms-blob-type", "x-ms-client-request-id",
        "x-ms-content-crc64", "x-ms-copy-completion-time", "x-ms-copy-id", "x-ms-copy-progress", "x-ms-copy-source",
        "x-ms-copy-status", "x-ms-copy-status-description", "x-ms-creation-time", "x-ms-encryption-key-sha256",
        "x-ms-encryption-scope", "x-ms-error-code", "x-ms-immutability-policy-mode",
        "x-ms-immutability-policy-until-date", "x-ms-is-current-version", "x-ms-last-access-time",
        "x-ms-lease-duration", "x-ms-lease-state", "x-ms-lease-status", "x-ms-legal-hold", "x-ms-request-id",
        "x-ms-server-encrypted", "x-ms-tag-count", "x-ms-version", "x-ms-version-id", "x-ms-access-tier",
        "x-ms-access-tier-inferred",
    ];

    private static readonly string BlobHeadersHidden = string.Concat(BlobHeaders.Select(h => $"            proxy_hide_header {h};\n"));

    /// <summary>
    /// The catalog's anonymous reads, kept by the edge for one second (a micro-cache, as CDNs do for shops at peak): a hot
    /// page costs the services one request a second however many shoppers ask. A staff change or a stock change the
    /// services announce shows everywhere within that second. Only a 200 to an anonymous GET or HEAD is kept, keyed by
    /// the request URI as sent; anything carrying credentials, any other method, any error passes straight through.
    /// One caller refreshes an expired entry while the others get the copy that is a moment old (lock, stale while
    /// updating). Downstream caches are told the age they may keep it for (<c>public, max-age=1</c>).
    /// </summary>
    private const string CatalogCache = """
                            proxy_cache catalog;
                            proxy_cache_key $request_uri;
                            proxy_cache_valid 200 1s;
                            # Kept from its second request on: a one-off search (most are) is never written to disk.
                            proxy_cache_min_uses 2;
                            proxy_cache_lock on;
                            proxy_cache_lock_timeout 2s;
                            proxy_cache_use_stale updating;
                            proxy_cache_bypass $catalog_cache_skip;
                            proxy_no_cache $catalog_cache_skip;
                            # The copy is kept uncompressed; the edge compresses it per client like any other answer.
                            proxy_set_header Accept-Encoding "";
                            proxy_hide_header Cache-Control;
                            add_header Cache-Control $catalog_cache_control always;
                            add_header X-Cache-Status $upstream_cache_status always;
            """;

    /// <summary>
    /// A sale's queue, which every waiting page polls: one answer for the whole crowd (it reads no ticket and sets no cookie),
    /// kept for a second and keyed by the path alone, so neither a query string nor a cookie can make a poll reach a service.
    /// Once a copy exists no poll waits for a service again: an expired one is answered from the copy while one
    /// request in the background fetches the next (background update), and while the instances cannot answer at all the
    /// last copy stands (a frozen queue, not an error).
    /// </summary>
    private const string QueueCache = """
                            proxy_cache queue;
                            proxy_cache_key $uri;
                            proxy_cache_valid 200 1s;
                            proxy_cache_lock on;
                            proxy_cache_lock_timeout 2s;
                            proxy_cache_background_update on;
                            proxy_cache_use_stale updating error timeout http_500 http_502 http_503 http_504;
                            proxy_set_header Cookie "";
                            proxy_set_header Accept-Encoding "";
                            add_header X-Cache-Status $upstream_cache_status always;
            """;

    private static string ErrorPages(string kind) =>
        string.Concat(Errors.Select(e => $"            error_page {e.NginxStatus} {(e.NginxStatus == e.Status ? "" : $"={e.Status} ")}@{kind}_{e.Status};\n"));

    private static readonly string PageErrors = ErrorPages("page");
    private static readonly string ProblemErrors = ErrorPages("problem");

    /// <summary>
    /// An admin call over plain http: the staff key has crossed the network in clear, and accepting it would teach
    /// clients to keep doing so. 403 (refused whatever the key), not 421 (the shop is the right server) nor 426 (no
    /// client upgrades a connection to TLS in place).
    /// </summary>
    public static readonly EdgeError HttpsRequired = new(403, 403, "HTTPS Required",
        "Admin calls are accepted over https only, so the admin key never travels in clear text. Send this request to the shop's https address.");

    /// <summary>/api/admin/'s own errors: the edge raises a 403 only to refuse plain http, and says so.</summary>
    private static readonly string AdminErrors =
        "            error_page 403 @problem_https_required;\n" + string.Concat(ProblemErrors.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.Contains("error_page 403 ", StringComparison.Ordinal)).Select(line => line + "\n"));

    private static readonly string HttpsRequiredLocation = $$"""
                location @problem_https_required {
                    default_type application/problem+json;
                    add_header Cache-Control no-store always;
        {{SecurityHeaders}}
                    return 403 '{{Quoted(HttpsRequired.ProblemJson())}}';
                }

        """;

    /// <summary>/api/'s passage to the instances, as the cached locations repeat it (see the /api/ location).</summary>
    private static readonly string ApiPassage = Forwarded + "\n" + """
                            proxy_set_header Connection "";
                            proxy_connect_timeout 2s;
                            proxy_next_upstream error;
                            proxy_next_upstream_tries 2;

            """ + ProblemErrors;

    /// <summary>A catalog read's location body: /api/'s passage, then the micro-cache and its headers.</summary>
    private static readonly string CatalogLocation = ApiPassage + CatalogCache + "\n" + SecurityHeaders;

    /// <summary>A sale queue's location body: /api/'s passage, then <see cref="QueueCache"/>.</summary>
    private static readonly string QueueLocation = ApiPassage + QueueCache + "\n" + SecurityHeaders;

    /// <summary>The named locations behind <see cref="Errors"/>, one pair per status, in each server that uses them.</summary>
    private static readonly string ErrorLocations = string.Concat(Errors.DistinctBy(e => e.Status).Select(e => $$"""
                location @problem_{{e.Status}} {
                    default_type application/problem+json;
                    add_header Cache-Control no-store always;
                    add_header X-Cache-Status $upstream_cache_status always;
                    {{(e.Status == 405 ? "add_header Allow \"GET, HEAD\" always;" : "")}}
        {{SecurityHeaders}}
                    return {{e.Status}} '{{Quoted(e.ProblemJson())}}';
                }

                location @page_{{e.Status}} {
                    default_type "text/html; charset=utf-8";
                    add_header Cache-Control no-store always;
        {{SecurityHeaders}}
                    return {{e.Status}} '{{Quoted(e.Page())}}';
                }


        """));

    /// <summary>nginx's single-quoted string: only the quote and the backslash need escaping.</summary>
    private static string Quoted(string text) => text.Replace("\\", "\\\\").Replace("'", "\\'");

    /// <summary>Connections one nginx worker holds at once (clients and upstreams together).</summary>
    public const int WorkerConnections = 65536;

    /// <summary>Connections the kernel queues for the shop's ports before nginx accepts them.</summary>
    public const int ListenBacklog = 4096;

    /// <summary>
    /// <c>Shop:Edge:RedirectHttpToHttps</c>: which http requests go to https. Not the orchestrator's health check (it
    /// asks over http), and not an admin call: its key already went in clear, and a redirect would only carry it on;
    /// it gets <see cref="HttpsRequired"/> instead.
    /// </summary>
    private static readonly string RedirectMap = $$"""
        map "$scheme:$uri" $redirect_to_https {
                    "http:{{HealthPath}}" 0;
                    "~^http:/api/admin/"  0;
                    "~^http:"             1;
                    default               0;
                }

        """;

    /// <summary>308 keeps the method and body (a 301 turns a POST into a GET); browsers remember HSTS from the https answer.</summary>
    private static string RedirectToHttps(EdgeLayout edge)
    {
        var port = edge.PublicHttpsPort ?? edge.HttpsPort;
        return $$"""
                    if ($redirect_to_https) {
                        return 308 https://$host{{(port == 443 ? "" : $":{port}")}}$request_uri;
                    }
            """;
    }

    public static string Generate(EdgeLayout edge)
    {
        if (edge.ApiHosts is { } hosts && hosts.Count != edge.ApiPorts.Count)
        {
            throw new ArgumentException($"The edge has {edge.ApiPorts.Count} API ports but {hosts.Count} API hosts; give one host per port.", nameof(edge));
        }
        var api = new StringBuilder();
        for (var i = 0; i < edge.ApiPorts.Count; i++)
        {
            // Passive health check: one failed attempt takes the instance out of rotation for 5 s. What fails an attempt
            // is a connection error or a timeout (nginx always counts those) and nothing else: proxy_next_upstream lists
            // no http_NNN, so an instance that answers 503 or 429 because it is busy stays in rotation.
            api.AppendLine($"        server {edge.ApiHosts?[i] ?? edge.UpstreamHost}:{edge.ApiPorts[i]} max_fails=1 fail_timeout=5s;");
        }
        var state = edge.StateDirectory;

        return $$"""
            {{(edge.WorkerUser is { } user ? $"user {user};" : "")}}
            worker_processes auto;
            pid {{state}}/nginx.pid;
            error_log stderr warn;

            # A crowd is connections: each waiting browser keeps one open between its polls, and each proxied request
            # holds a second to an instance. A connection costs a worker about 1 KB; refusing one costs a shopper.
            worker_rlimit_nofile {{WorkerConnections * 2}};

            events {
                worker_connections {{WorkerConnections}};
            }

            http {
                access_log off;
                server_tokens off;
                client_body_temp_path {{state}}/client_body;
                proxy_temp_path {{state}}/proxy;
                fastcgi_temp_path {{state}}/fastcgi;
                uwsgi_temp_path {{state}}/uwsgi;
                scgi_temp_path {{state}}/scgi;

                # Mozilla's "intermediate" profile (ssl-config.mozilla.org, generator 6.0) for every https port: TLS 1.2
                # and 1.3, forward-secret AEAD suites only, the client picks among them; resumption from a shared
                # cache, no tickets (their key never rotates without a reload, which would undo forward secrecy).
                ssl_protocols TLSv1.2 TLSv1.3;
                ssl_ciphers {{TlsCiphers}};
                ssl_ecdh_curve X25519:prime256v1:secp384r1;
                ssl_prefer_server_ciphers off;
                ssl_session_cache shared:TLS:10m;
                ssl_session_timeout 1d;
                ssl_session_tickets off;

                # Stated, not left to defaults: the services accept bodies up to the same 1 MB (ServiceDefaults).
                client_max_body_size 1m;
                keepalive_timeout 65s;

                gzip on;
                gzip_proxied any;
                gzip_min_length 256;
                gzip_types text/plain text/css application/json application/javascript application/problem+json image/svg+xml;

                proxy_cache_path {{state}}/cdn-cache levels=1:2 keys_zone=cdn:20m max_size=2g inactive=7d use_temp_path=off;

                # The catalog's one-second micro-cache (CatalogCache): small files that live in the page cache, forgotten 10 s after last use.
                proxy_cache_path {{state}}/catalog-cache levels=1:2 keys_zone=catalog:10m max_size=256m inactive=10s use_temp_path=off;

                # Each sale's queue (QueueCache): one small answer per sale, however many wait.
                proxy_cache_path {{state}}/queue-cache levels=1:2 keys_zone=queue:1m max_size=16m inactive=1h use_temp_path=off;

                # Only an anonymous GET or HEAD may be answered from, or stored in, the catalog's micro-cache.
                map "$request_method:$http_authorization$http_x_admin_key" $catalog_cache_skip {
                    "GET:"  0;
                    "HEAD:" 0;
                    default 1;
                }

                # What the micro-cache keeps is at most a second old; anything else keeps the API's own word.
                map "$catalog_cache_skip:$status" $catalog_cache_control {
                    "0:200" "public, max-age=1";
                    default $upstream_http_cache_control;
                }

                # Only a real asset may be kept for a year; anything else the blob store answers (304 aside) must not be.
                map $status $cdn_cache_control {
                    200     "public, max-age=31536000, immutable";
                    206     "public, max-age=31536000, immutable";
                    304     "public, max-age=31536000, immutable";
                    default "no-store";
                }

            {{(edge.RedirectHttpToHttps ? RedirectMap : "")}}
                map $scheme $hsts {
                    https   "max-age=31536000";
                    default "";
                }

                map $http_upgrade $connection_upgrade {
                    default upgrade;
                    ''      close;
                }

                # Blazor circuits live in one web process: keep each client on the instance that holds its circuit.
                upstream web {
                    hash $remote_addr consistent;
                    server {{edge.UpstreamHost}}:{{edge.WebPort}};
                }

                upstream api {
            {{api}}        # Idle connections each worker keeps for reuse: enough that a burst reuses them instead of opening new
                    # ones, each a connect the instance must accept.
                    keepalive 256;
                    # Shorter than Kestrel's KeepAliveTimeout (ServiceDefaults), so the edge, not the service, closes an
                    # idle connection: never a request sent on a connection the other side is closing.
                    keepalive_timeout 60s;
                }

                upstream blobs {
                    server {{edge.UpstreamHost}}:{{edge.BlobPort}};
                    keepalive 16;
                }

                upstream reporting {
                    server {{edge.UpstreamHost}}:{{edge.ReportingPort}};
                }

                server {
                    # A crowd arrives in bursts: nginx's default queue of 511 unaccepted connections would drop some
                    # (the browser retries a second later); the kernel's somaxconn caps what is asked for.
                    listen {{edge.HttpPort}} backlog={{ListenBacklog}};
                    listen {{edge.HttpsPort}} ssl http2 backlog={{ListenBacklog}};
                    ssl_certificate {{edge.CertificateFile}};
                    ssl_certificate_key {{edge.CertificateKeyFile}};

                    proxy_http_version 1.1;
            {{(edge.RedirectHttpToHttps ? RedirectToHttps(edge) : "")}}
            {{SecurityHeaders}}
            {{PageErrors}}

                    location = {{HealthPath}} {
                        default_type text/plain;
                        return 200 "ok\n";
                    }

                    location /api/ {
                        proxy_pass http://api;
            {{Forwarded}}
                        proxy_set_header Connection "";
                        proxy_connect_timeout 2s;
                        # Only a connection that failed (refused, reset before an answer) is tried once more on another
                        # instance. An answer, 503 and 429 included, is the instance's word and passes through: retrying
                        # it elsewhere would multiply the load exactly when the shop is overloaded. No `timeout`: nginx
                        # cannot tell a slow answer from a connect that hung, and a slow answer is still being worked on.
                        # nginx never retries a POST on its own (non_idempotent is not listed).
                        proxy_next_upstream error;
                        proxy_next_upstream_tries 2;
                        # Only the edge's own errors: the API's answers, its problems included, pass through as they are.
            {{ProblemErrors}}
                    }

                    # Admin calls carry the staff key: never over plain http, where anyone on the way could read it
                    # (HttpsRequired). The API refuses a forwarded plain-http call as well.
                    location /api/admin/ {
                        if ($scheme = http) {
                            return 403;
                        }
                        proxy_pass http://api;
            {{Forwarded}}
                        proxy_set_header Connection "";
                        proxy_connect_timeout 2s;
                        proxy_next_upstream error;
                        proxy_next_upstream_tries 2;
            {{AdminErrors}}
                    }

                    # The catalog's anonymous reads: the same passage as /api/, through the micro-cache (CatalogCache).
                    location = /api/catalog/items {
                        proxy_pass http://api;
            {{CatalogLocation}}
                    }

                    location /api/catalog/items/ {
                        proxy_pass http://api;
            {{CatalogLocation}}
                    }

                    location = /api/catalog/categories {
                        proxy_pass http://api;
            {{CatalogLocation}}
                    }

                    # What every waiting page polls: answered here from a copy at most a moment old (QueueCache).
                    location /api/waitingroom/sales/ {
                        proxy_pass http://api;
            {{QueueLocation}}
                    }

                    # An order cut off by an instance that died or closed its keep-alive connection while draining
                    # (a connection error, never an answer or a slow one) is passed on too, POST as it is: every order
                    # carries an Idempotency-Key and the API answers a repeat with the same order, so a retry cannot
                    # order twice. Other POSTs (joins) stay unretried.
                    location = /api/orders {
                        proxy_pass http://api;
            {{Forwarded}}
                        proxy_set_header Connection "";
                        proxy_connect_timeout 2s;
                        proxy_next_upstream error non_idempotent;
                        proxy_next_upstream_tries 2;
            {{ProblemErrors}}
                    }

                    # The blob store's errors are replaced by the shop's own (proxy_intercept_errors), and a missing asset
                    # is remembered for 10 s only: one uploaded later shows up at once, a flood of misses stays off the store.
                    location /cdn/ {
                        if ($request_method !~ ^(GET|HEAD)$) {
                            return 405;
                        }
                        proxy_pass http://blobs/{{Infrastructure.BlobStore.DevelopmentAccount}}/{{Infrastructure.BlobStore.AssetsContainer}}/;
                        proxy_set_header Connection "";
                        proxy_cache cdn;
                        proxy_cache_lock on;
                        proxy_cache_valid 200 7d;
                        proxy_cache_valid 404 10s;
                        proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
                        proxy_ignore_headers Set-Cookie Cache-Control Expires;
                        proxy_intercept_errors on;
            {{ProblemErrors}}
                        # The edge decides caching; the blob store's own headers say nothing a shopper needs.
            {{BlobHeadersHidden}}
                        add_header X-Cache-Status $upstream_cache_status always;
                        add_header Cache-Control $cdn_cache_control always;
            {{SecurityHeaders}}
                    }

            {{ErrorLocations}}
            {{HttpsRequiredLocation}}
                    location / {
                        proxy_pass http://web;
            {{Forwarded}}
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_read_timeout 1h;
            {{PageErrors}}
                    }
                }

                # Staff reports: https only, so the sign-in form, the staff cookie (Secure follows the scheme) and
                # the reports travel encrypted. Same headers as the shop; HSTS always, as there is no http here.
                server {
                    listen {{edge.StaffHttpsPort}} ssl http2;
                    ssl_certificate {{edge.CertificateFile}};
                    ssl_certificate_key {{edge.CertificateKeyFile}};

                    proxy_http_version 1.1;
            {{SecurityHeaders}}
            {{PageErrors}}

                    location / {
                        proxy_pass http://reporting;
            {{Forwarded}}
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        # Sign-in redirects are absolute, named after the upstream and (forwarded) https: keep them here.
                        proxy_redirect https://reporting/ /;
                        proxy_redirect http://reporting/ /;
                        # Antiforgery adds its own SAMEORIGIN; the edge's DENY is to be the only one.
                        proxy_hide_header X-Frame-Options;
                        proxy_read_timeout 1h;
            {{PageErrors}}
                    }

            {{ErrorLocations}}
                }
            }
            """;
    }
}

/// <summary>One answer the edge gives in its own words; <paramref name="NginxStatus"/> is the code nginx raises for it.</summary>
public sealed record EdgeError(int NginxStatus, int Status, string Title, string Detail)
{
    public string ProblemJson() => System.Text.Json.JsonSerializer.Serialize(new { type = "about:blank", title = Title, status = Status, detail = Detail });

    public string Page() =>
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{Title} - Shop</title></head>" +
        $"<body><h1>{Title}</h1><p>{Detail}</p><p><a href=\"/\">Back to the shop</a></p></body></html>\n";
}
