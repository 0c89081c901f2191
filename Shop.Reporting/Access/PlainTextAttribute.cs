using System.ComponentModel.DataAnnotations;

namespace Shop.Reporting.Access;

/// <summary>
/// Text a person could have typed: no control characters. A NUL passes [EmailAddress] and then makes Postgres refuse
/// the account lookup (a 500); refused here, it is a message next to the field.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PlainTextAttribute() : ValidationAttribute("Use letters, digits and punctuation only.")
{
    public override bool IsValid(object? value) => value is not string text || !text.Any(char.IsControl);
}
