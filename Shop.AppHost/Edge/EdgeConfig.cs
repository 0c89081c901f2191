using System.Text;

namespace Shop.AppHost.Edge;

/// <summary>Everything the edge needs to know to write its nginx configuration.</summary>
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
    bool RunAsRoot);

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

    public static string Generate(EdgeLayout edge)
    {
        var api = new StringBuilder();
        foreach (var port in edge.ApiPorts)
        {
            // Passive health check: one failed attempt takes the instance out of rotation for 5 s.
            api.AppendLine($"        server {edge.UpstreamHost}:{port} max_fails=1 fail_timeout=5s;");
        }
        var state = edge.StateDirectory;

        return $$"""
            {{(edge.RunAsRoot ? "user root;" : "")}}
            worker_processes auto;
            pid {{state}}/nginx.pid;
            error_log stderr warn;

            events {
                worker_connections 4096;
            }

            http {
                access_log off;
                server_tokens off;
                client_body_temp_path {{state}}/client_body;
                proxy_temp_path {{state}}/proxy;
                fastcgi_temp_path {{state}}/fastcgi;
                uwsgi_temp_path {{state}}/uwsgi;
                scgi_temp_path {{state}}/scgi;

                gzip on;
                gzip_proxied any;
                gzip_min_length 256;
                gzip_types text/plain text/css application/json application/javascript application/problem+json image/svg+xml;

                proxy_cache_path {{state}}/cdn-cache levels=1:2 keys_zone=cdn:20m max_size=2g inactive=7d use_temp_path=off;

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
            {{api}}        keepalive 64;
                }

                upstream blobs {
                    server {{edge.UpstreamHost}}:{{edge.BlobPort}};
                    keepalive 16;
                }

                upstream reporting {
                    server {{edge.UpstreamHost}}:{{edge.ReportingPort}};
                }

                server {
                    listen {{edge.HttpPort}};
                    listen {{edge.HttpsPort}} ssl http2;
                    ssl_certificate {{edge.CertificateFile}};
                    ssl_certificate_key {{edge.CertificateKeyFile}};

                    proxy_http_version 1.1;
            {{SecurityHeaders}}

                    location = {{HealthPath}} {
                        default_type text/plain;
                        return 200 "ok\n";
                    }

                    location /api/ {
                        proxy_pass http://api;
            {{Forwarded}}
                        proxy_set_header Connection "";
                        proxy_connect_timeout 2s;
                        # Only failures where the request never reached an instance are retried elsewhere;
                        # nginx never retries a POST on its own (non_idempotent is not listed).
                        proxy_next_upstream error timeout http_502 http_503;
                        proxy_next_upstream_tries 3;
                    }

                    # An order cut off by an instance that died or closed its keep-alive connection while draining
                    # is passed on too, POST as it is: every order carries an Idempotency-Key and the API answers a
                    # repeat with the same order, so a retry cannot order twice. Other POSTs (joins) stay unretried.
                    location = /api/orders {
                        proxy_pass http://api;
            {{Forwarded}}
                        proxy_set_header Connection "";
                        proxy_connect_timeout 2s;
                        proxy_next_upstream error timeout non_idempotent;
                        proxy_next_upstream_tries 3;
                    }

                    location /cdn/ {
                        limit_except GET HEAD { deny all; }
                        proxy_pass http://blobs/{{Infrastructure.BlobStore.DevelopmentAccount}}/{{Infrastructure.BlobStore.AssetsContainer}}/;
                        proxy_set_header Connection "";
                        proxy_cache cdn;
                        proxy_cache_lock on;
                        proxy_cache_valid 200 7d;
                        proxy_cache_valid 404 1m;
                        proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
                        proxy_ignore_headers Set-Cookie Cache-Control Expires;
                        proxy_hide_header x-ms-request-id;
                        proxy_hide_header x-ms-version;
                        add_header X-Cache-Status $upstream_cache_status always;
                        add_header Cache-Control "public, max-age=31536000, immutable" always;
            {{SecurityHeaders}}
                    }

                    location / {
                        proxy_pass http://web;
            {{Forwarded}}
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_read_timeout 1h;
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
                    }
                }
            }
            """;
    }
}
