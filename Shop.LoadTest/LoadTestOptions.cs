using System.Globalization;

namespace Shop.LoadTest;

/// <summary>One peak sale to simulate. Defaults: 20,000 shoppers arriving over a minute at the local edge.</summary>
public sealed record LoadTestOptions
{
    public int Shoppers { get; init; } = 20_000;
    public double ArrivalSeconds { get; init; } = 60;
    public double PollSeconds { get; init; } = 5;
    /// <summary>Units on sale, spread over <see cref="FirstProductId"/>..<see cref="LastProductId"/>.</summary>
    public int Stock { get; init; } = 5_000;
    /// <summary>A flow the shop's three API instances and two workers can take on one machine; the rest wait (docs/capacity.md).</summary>
    public int AdmissionsPerMinute { get; init; } = 1_500;
    public int MaxActiveShoppers { get; init; } = 2_000;
    /// <summary>Upper bound of the sale: shoppers still waiting then give up. The drain of the order queue comes after.</summary>
    public int DurationSeconds { get; init; } = 600;
    public Uri Target { get; init; } = new("http://localhost:8080/");
    public string ReportDirectory { get; init; } = Path.Combine(
        Environment.GetEnvironmentVariable("LOADTEST_REPORT_ROOT") ?? Path.Combine("artifacts", "loadtest"),
        DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
    public string? AdminKey { get; init; }
    public int FirstProductId { get; init; } = 4901;
    public int LastProductId { get; init; } = 4920;
    /// <summary>
    /// Shoppers sharing one source address (a household behind one router). On a loopback target each address is a
    /// distinct 127.x.y.z, so the edge's per-address join limit sees a crowd, not one client. 0: as many as arrive in
    /// the arrival window, one a second per address — half the shop's default limit of 20 joins per 10 s.
    /// </summary>
    public int ShoppersPerAddress { get; init; }

    public int EffectiveShoppersPerAddress => ShoppersPerAddress > 0 ? ShoppersPerAddress : Math.Max(1, (int)ArrivalSeconds);
    /// <summary>Order worker instances behind the target, for the per-worker capacity figure.</summary>
    public int OrderWorkers { get; init; } = 2;
    public int DrainSeconds { get; init; } = 180;
    public string SaleId { get; init; } = $"loadtest-{DateTime.UtcNow:yyyyMMddHHmmss}";

    public const string Usage = """
        Usage: Shop.LoadTest [options]   (./shop loadtest [options])

          --shoppers N                shoppers who come to the sale (20000)
          --arrival-seconds S         their arrivals spread over S seconds (60)
          --poll-seconds S            waiting-room status poll interval (5)
          --stock N                   units on sale, spread over the products (5000)
          --admissions-per-minute N   the sale's admission rate (1500)
          --max-active N              the sale's most shoppers in the store at once (2000)
          --duration S                upper bound of the sale; the order queue drains after it (600)
          --target URL                the shop's edge (http://localhost:8080/)
          --report DIR                where report.html, report.json and capacity.md go (artifacts/loadtest/<time>)
          --admin-key KEY             the shop's admin key (default: $Admin__Key or $LOADTEST_ADMIN_KEY)
          --products FIRST-LAST       the products on sale (4901-4920)
          --shoppers-per-address N    shoppers sharing one client address (the arrival seconds: one join a second each)
          --order-workers N           order workers behind the target, for the capacity figures (2)
          --drain-seconds S           longest wait for accepted orders to settle after the sale (180)
        """;

    /// <summary>Reads <c>--name value</c> pairs; a wrong one throws <see cref="FormatException"/> with a message for a person.</summary>
    public static LoadTestOptions Parse(IReadOnlyList<string> args)
    {
        var options = new LoadTestOptions
        {
            AdminKey = Environment.GetEnvironmentVariable("Admin__Key") ?? Environment.GetEnvironmentVariable("LOADTEST_ADMIN_KEY"),
        };
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new FormatException($"{name} needs a value.");
            }
            var value = args[++i];
            options = name switch
            {
                "--shoppers" => options with { Shoppers = Int(name, value, 1, 10_000_000) },
                "--arrival-seconds" => options with { ArrivalSeconds = Number(name, value, 0, 86_400) },
                "--poll-seconds" => options with { PollSeconds = Number(name, value, 0.1, 600) },
                "--stock" => options with { Stock = Int(name, value, 0, 100_000_000) },
                "--admissions-per-minute" => options with { AdmissionsPerMinute = Int(name, value, 1, 1_000_000) },
                "--max-active" => options with { MaxActiveShoppers = Int(name, value, 1, 10_000_000) },
                "--duration" => options with { DurationSeconds = Int(name, value, 1, 86_400) },
                "--target" => options with { Target = Url(name, value) },
                "--report" => options with { ReportDirectory = value },
                "--admin-key" => options with { AdminKey = value },
                "--products" => Products(options, value),
                "--shoppers-per-address" => options with { ShoppersPerAddress = Int(name, value, 0, 10_000_000) },
                "--order-workers" => options with { OrderWorkers = Int(name, value, 1, 1_000) },
                "--drain-seconds" => options with { DrainSeconds = Int(name, value, 0, 86_400) },
                _ => throw new FormatException($"Unknown option {name}."),
            };
        }
        if (string.IsNullOrWhiteSpace(options.AdminKey))
        {
            throw new FormatException("The load test sets up the sale through the admin API: pass --admin-key (./shop loadtest does).");
        }
        return options;
    }

    public IReadOnlyList<int> ProductIds => [.. Enumerable.Range(FirstProductId, LastProductId - FirstProductId + 1)];

    private static LoadTestOptions Products(LoadTestOptions options, string value)
    {
        var parts = value.Split('-');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var first) || !int.TryParse(parts[1], out var last) || first < 1 || last < first)
        {
            throw new FormatException("--products takes a range of product ids such as 4901-4920.");
        }
        return options with { FirstProductId = first, LastProductId = last };
    }

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new FormatException($"{name} takes a whole number from {min} to {max}, not '{value}'.");

    private static double Number(string name, string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new FormatException($"{name} takes a number from {min} to {max}, not '{value}'.");

    private static Uri Url(string name, string value) =>
        Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"{name} takes an http(s) URL such as http://localhost:8080, not '{value}'.");
}
