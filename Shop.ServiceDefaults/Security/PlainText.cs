namespace Shop.ServiceDefaults.Security;

/// <summary>
/// Text a person could have typed: no control characters (Postgres refuses NUL outright) and no half of a surrogate
/// pair (which has no UTF-8 form). Checked at the door, so such input is a 400 naming the field, not a failed write.
/// </summary>
public static class PlainText
{
    public static bool IsPlain(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsControl(text[i]) || char.IsSurrogate(text[i]))
            {
                return false;
            }
        }
        return true;
    }
}
