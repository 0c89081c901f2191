using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Shop.Staff;

/// <summary>
/// One spelling per account: Identity's normaliser (NFC, upper case) after Unicode compatibility normalisation (NFKC)
/// and case folding, so <c>ａｄｍｉｎ@shop.local</c> (full-width letters), <c>ADMIN@SHOP.LOCAL</c> or a Kelvin sign for
/// a K name the same account as the plain spelling — for sign-in, for a new account's uniqueness and for the sign-in
/// limits, which key on it. Plain ASCII names normalise as before (upper case), so stored accounts still match.
/// </summary>
public sealed class StaffNameNormalizer : ILookupNormalizer
{
    private static readonly UpperInvariantLookupNormalizer IdentityRule = new();

    public string? NormalizeName(string? name) => Normalize(name);

    public string? NormalizeEmail(string? email) => Normalize(email);

    /// <summary>The account's key: trimmed, NFKC, folded (lower then upper case, which also joins ß and ẞ), then Identity's rule.</summary>
    public static string? Normalize(string? name) =>
        name is null ? null : IdentityRule.NormalizeName(name.Trim().Normalize(NormalizationForm.FormKC).ToLowerInvariant());
}
