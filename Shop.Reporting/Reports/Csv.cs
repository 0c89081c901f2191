using System.Globalization;
using CsvHelper;

namespace Shop.Reporting.Reports;

/// <summary>
/// RFC 4180 CSV in UTF-8 with a BOM (so spreadsheets read it as UTF-8), written by CsvHelper. Text that a spreadsheet
/// would run as a formula (starting with <c>= + - @</c>, tab or CR: a product or sale named by someone else) gets a
/// leading <c>'</c>, as OWASP recommends for CSV injection; numbers and times are not text and stay as they are, so -5 is -5.
/// </summary>
public static class Csv
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm'Z'";

    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Injection = CsvInjection.Escape,
        WriteByteOrderMark = true,
        FormatProvider = CultureInfo.InvariantCulture,
    };

    public static byte[] Write(IEnumerable<string> header, IEnumerable<IEnumerable<object?>> rows)
    {
        using var stream = new MemoryStream();
        using (var csv = CsvWriter.Create(stream, Options, leaveOpen: true))
        {
            foreach (var column in header)
            {
                csv.WriteField(column);
            }
            csv.EndRecord();
            foreach (var row in rows)
            {
                foreach (var cell in row)
                {
                    WriteCell(csv, cell);
                }
                csv.EndRecord();
            }
        }
        return stream.ToArray();
    }

    /// <summary>A cell as the report's HTML table shows it: the same text as the CSV, less the formula escape.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        DateTimeOffset time => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static void WriteCell(CsvWriter csv, object? value)
    {
        switch (value)
        {
            case DateTimeOffset time:
                csv.WriteField(time.UtcDateTime, TimeFormat);
                break;
            default:
                csv.WriteField(value);
                break;
        }
    }
}
