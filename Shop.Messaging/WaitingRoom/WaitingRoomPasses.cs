using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Shop.Messaging;

/// <summary>A place in a sale's waiting room. <see cref="Position"/> is 0 while a lottery draw is still to come.</summary>
public sealed record QueueTicket(string SaleId, string TicketId, long Position, DateTimeOffset JoinedAt);

/// <summary>The right to shop during a sale until <see cref="ExpiresAt"/>, for the holder of one ticket only.</summary>
public sealed record AdmissionClaims(string SaleId, string TicketId, long Position, DateTimeOffset ExpiresAt);

/// <summary>
/// Signs and reads waiting-room passes: <c>kind.payload.signature</c>, HMAC-SHA256 over kind and payload with the
/// AppHost's secret <c>waitingroom-key</c>. The API issues them; the storefront and the order worker only check them,
/// so a pass can be verified anywhere without Redis. The kind is signed too: a ticket never passes as an admission.
/// </summary>
public sealed class WaitingRoomPasses
{
    public const int MinKeyLength = 32;
    private const string TicketKind = "t1";
    private const string AdmissionKind = "a1";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly byte[] key;

    public WaitingRoomPasses(string signingKey)
    {
        if (signingKey.Length < MinKeyLength)
        {
            throw new ArgumentException($"The waiting-room signing key must be at least {MinKeyLength} characters.", nameof(signingKey));
        }
        key = Encoding.UTF8.GetBytes(signingKey);
    }

    public string Sign(QueueTicket ticket) => Sign(TicketKind, ticket);

    public string Sign(AdmissionClaims admission) => Sign(AdmissionKind, admission);

    public bool TryReadTicket(string? pass, out QueueTicket ticket) => TryRead(TicketKind, pass, out ticket);

    public bool TryReadAdmission(string? pass, out AdmissionClaims admission) => TryRead(AdmissionKind, pass, out admission);

    /// <summary>
    /// The one rule: the admission is this shop's, for <paramref name="saleId"/>, and unexpired at <paramref name="moment"/>.
    /// Without a ticket (the order worker's case: the API checked it at intake) the ticket is not asked about.
    /// </summary>
    public AdmissionCheck CheckAdmission(string? admissionPass, string saleId, DateTimeOffset moment)
    {
        if (string.IsNullOrEmpty(admissionPass))
        {
            return new(null, AdmissionRefusals.Missing);
        }
        if (!TryReadAdmission(admissionPass, out var claims))
        {
            return new(null, AdmissionRefusals.Invalid);
        }
        if (claims.SaleId != saleId)
        {
            return new(claims, AdmissionRefusals.OtherSale);
        }
        return claims.ExpiresAt <= moment ? new(claims, AdmissionRefusals.Expired) : new(claims, null);
    }

    /// <summary>As above, and presented with the ticket it was issued to (a pass for the same sale).</summary>
    public AdmissionCheck CheckAdmission(string? admissionPass, string? ticketPass, string saleId, DateTimeOffset moment)
    {
        var check = CheckAdmission(admissionPass, saleId, moment);
        if (check.Holds && (!TryReadTicket(ticketPass, out var ticket) || ticket.TicketId != check.Claims!.TicketId || ticket.SaleId != saleId))
        {
            return check with { Refusal = AdmissionRefusals.WrongTicket };
        }
        return check;
    }

    private string Sign<T>(string kind, T claims)
    {
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims, Json));
        return $"{kind}.{payload}.{Base64Url(Mac(kind, payload))}";
    }

    private bool TryRead<T>(string kind, string? pass, out T claims) where T : class
    {
        claims = null!;
        if (string.IsNullOrEmpty(pass) || pass.Length > 1024)
        {
            return false;
        }
        var parts = pass.Split('.');
        if (parts.Length != 3 || parts[0] != kind || !TryFromBase64Url(parts[2], out var signature)
            || !CryptographicOperations.FixedTimeEquals(signature, Mac(kind, parts[1])) || !TryFromBase64Url(parts[1], out var payload))
        {
            return false;
        }
        try
        {
            claims = JsonSerializer.Deserialize<T>(payload, Json)!;
            return claims is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private byte[] Mac(string kind, string payload) => HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{kind}.{payload}"));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryFromBase64Url(string text, out byte[] bytes)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        bytes = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, bytes, out var written))
        {
            return false;
        }
        bytes = bytes[..written];
        return true;
    }
}

/// <summary>Redis keys that more than the API reads: the storefront's gate checks whether an admission has ended.</summary>
public static class WaitingRoomKeys
{
    /// <summary>The braces keep a sale's keys on one node should Redis ever be clustered.</summary>
    public static string SalePrefix(string saleId) => $"wr:{{{saleId}}}:";

    /// <summary>Positions whose session ended early (the shopper left or used its orders): their admissions are spent.</summary>
    public static string Ended(string saleId) => SalePrefix(saleId) + "ended";
}
