using System.ComponentModel.DataAnnotations;
using Shop.ServiceDefaults.Security;

namespace Shop.Reporting.Access;

/// <summary>
/// <see cref="PlainText"/> on a form field: a NUL passes [EmailAddress] and then makes Postgres refuse the account
/// lookup (a 500); refused here, it is a message next to the field.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PlainTextAttribute() : ValidationAttribute("Use letters, digits and punctuation only.")
{
    public override bool IsValid(object? value) => value is not string text || PlainText.IsPlain(text);
}
