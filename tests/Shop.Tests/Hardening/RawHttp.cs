using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Shop.Tests.Hardening;

/// <summary>
/// HTTP/1.1 over a plain socket, for answers a client library loses: HttpClient sends a body after any 2xx even without
/// a 100 Continue, so a service that answered without reading a large body (it needs none) shows up as a broken pipe.
/// Here a request that says <c>Expect: 100-continue</c> sends its body only once asked, and a trickled body is sent at
/// the test's pace; the answer is read to its end either way.
/// </summary>
internal static class RawHttp
{
    private const string Continue = "HTTP/1.1 100";

    /// <summary>Sends <paramref name="request"/> as HttpClient would, but waits for the go-ahead before a large body.</summary>
    /// <param name="source">The address to send from (a loopback address of its own), or null for the machine's own.</param>
    public static async Task<RawAnswer> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, System.Net.IPAddress? source = null)
    {
        var uri = request.RequestUri!;
        var head = new StringBuilder($"{request.Method} {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\n");
        var headers = request.Headers.AsEnumerable().Concat(request.Content?.Headers.AsEnumerable() ?? []);
        foreach (var (name, values) in headers.Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            head.Append($"{name}: {string.Join(name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ", values)}\r\n");
        }
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        if (request.Content is not null)
        {
            head.Append($"Content-Length: {body.Length}\r\n");
        }
        return await SendAsync(uri, head.Append("\r\n").ToString(), body, trickle: false, cancellationToken, source);
    }

    /// <summary>
    /// Sends <paramref name="head"/>, then the body: at once, after a 100 Continue when the head expects one, or (trickling)
    /// one space a second until the service answers.
    /// </summary>
    public static async Task<RawAnswer> SendAsync(Uri address, string head, byte[] body, bool trickle, CancellationToken cancellationToken,
        System.Net.IPAddress? source = null)
    {
        using var tcp = new TcpClient();
        if (source is not null)
        {
            // From a loopback address of its own, to loopback ("localhost" may resolve to ::1, which it cannot reach).
            tcp.Client.Bind(new System.Net.IPEndPoint(source, 0));
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, address.Port, cancellationToken);
        }
        else
        {
            await tcp.ConnectAsync(address.Host, address.Port, cancellationToken);
        }
        var stream = tcp.GetStream();
        // Header values are Latin-1, as HttpClient sends them.
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head), cancellationToken);
        var expectContinue = head.Contains("\r\nExpect: 100-continue\r\n", StringComparison.OrdinalIgnoreCase);
        var received = new List<byte>();
        if (expectContinue)
        {
            if (await ReadAnswerAsync(stream, received, interimToo: true, cancellationToken) is { Status: not 100 } refused)
            {
                return refused;
            }
            received.Clear();
        }
        if (body.Length > 0)
        {
            try
            {
                await stream.WriteAsync(body, cancellationToken);
            }
            catch (IOException)
            {
                // The service stopped reading (over its limit): whether it answered is what counts.
            }
        }
        var reading = ReadAnswerAsync(stream, received, interimToo: false, cancellationToken);
        while (trickle && !reading.IsCompleted)
        {
            try
            {
                // A space: still the start of a valid JSON or form body, so only its pace can be refused.
                await stream.WriteAsync(" "u8.ToArray(), cancellationToken);
            }
            catch (IOException)
            {
                break;
            }
            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
        }
        return await reading;
    }

    /// <summary>Reads one answer to the end of its body (by length, chunks or close); a 100 Continue too when asked for, else it is skipped.</summary>
    private static async Task<RawAnswer> ReadAnswerAsync(NetworkStream stream, List<byte> received, bool interimToo, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var text = Encoding.Latin1.GetString([.. received]);
            if (text.StartsWith(Continue, StringComparison.Ordinal) && text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
            {
                if (interimToo)
                {
                    return new RawAnswer(100, text[..end], []);
                }
                received.RemoveRange(0, end + 4);
                continue;
            }
            if (RawAnswer.TryParse([.. received], complete: false) is { } answer)
            {
                return answer;
            }
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException)
            {
                read = 0;
            }
            if (read == 0)
            {
                return RawAnswer.TryParse([.. received], complete: true) ?? new RawAnswer(0, "", []);
            }
            received.AddRange(buffer.AsSpan(0, read));
        }
    }
}

/// <summary>One answer as it came over the wire: status (0: none), head and body (chunks joined).</summary>
internal sealed record RawAnswer(int Status, string Head, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string? Header(string name) =>
        Head.Split("\r\n").Skip(1).Select(line => line.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();

    /// <summary>The answer once all of it is in; with <paramref name="complete"/> (the connection closed) whatever arrived.</summary>
    public static RawAnswer? TryParse(byte[] bytes, bool complete)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return complete && text.Length > 0 ? new RawAnswer(StatusOf(text), text, []) : null;
        }
        var answer = new RawAnswer(StatusOf(text), text[..end], []);
        var rest = bytes.AsSpan(end + 4);
        if (answer.Header("Content-Length") is { } length && int.TryParse(length, out var n))
        {
            return rest.Length >= n ? answer with { Body = rest[..n].ToArray() } : complete ? answer with { Body = rest.ToArray() } : null;
        }
        if (answer.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            return Dechunk(rest, out var body) || complete ? answer with { Body = body } : null;
        }
        return complete ? answer with { Body = rest.ToArray() } : null;
    }

    /// <summary>An answer HttpClient would have made of it, for code that judges those.</summary>
    public HttpResponseMessage ToResponseMessage()
    {
        var response = new HttpResponseMessage((System.Net.HttpStatusCode)Status) { Content = new ByteArrayContent(Body) };
        if (Header("Content-Type") is { } type)
        {
            response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        }
        return response;
    }

    public override string ToString() => $"{Head}{Environment.NewLine}{(Text.Length > 500 ? Text[..500] : Text)}";

    private static int StatusOf(string text) => text.Split(' ', 3) is [['H', 'T', 'T', 'P', ..], var code, ..] && int.TryParse(code, out var s) ? s : 0;

    /// <returns>Whether the last (empty) chunk has arrived.</returns>
    private static bool Dechunk(ReadOnlySpan<byte> chunked, out byte[] body)
    {
        var joined = new List<byte>();
        while (true)
        {
            var line = chunked.IndexOf("\r\n"u8);
            if (line < 0 || !int.TryParse(Encoding.Latin1.GetString(chunked[..line]).Split(';')[0], System.Globalization.NumberStyles.HexNumber, null, out var size))
            {
                break;
            }
            if (size == 0)
            {
                body = [.. joined];
                return true;
            }
            if (chunked.Length < line + 2 + size)
            {
                joined.AddRange(chunked[(line + 2)..]);
                break;
            }
            joined.AddRange(chunked.Slice(line + 2, size));
            chunked = chunked[Math.Min(chunked.Length, line + 2 + size + 2)..];
        }
        body = [.. joined];
        return false;
    }
}
