using System.Globalization;

namespace Shop.LoadTest;

/// <summary>One peak sale to simulate. Defaults: 20,000 shoppers arriving over a minute at the local edge.</summary>
public sealed record LoadTestOptions
{
    public int Shoppers { get; init; } = 20_000;
    public double ArrivalSeconds { get; init; } = 60;
    /// <summary>How often a waiting shopper reads its sale's shared queue resource (through the edge).</summary>
    public double PollSeconds { get; init; } = 5;
    /// <summary>Units on sale, spread over <see cref="FirstProductId"/>..<see cref="LastProductId"/>.</summary>
    public int Stock { get; init; } = 5_000;
    /// <summary>A flow the shop's three API instances and two workers can take on one machine; the rest wait (docs/capacity.md).</summary>
    public int AdmissionsPerMinute { get; init; } = 1_500;
    public int MaxActiveShoppers { get; init; } = 2_000;
    /// <summary>Upper bound of the sale: shoppers still waiting then give up. The drain of the order queue comes after.</summary>
    public int DurationSeconds { get; init; } = 600;
    public Uri Target { get; init; } = new("http://localhost:8080/");
    /// <summary>
    /// Where the sale is set up through the admin API, which takes its key over https or straight from this machine
    /// only: by default <c>./shop run</c>'s first API instance; a remote shop's https address otherwise.
    /// </summary>
    public Uri AdminTarget { get; init; } = new("http://localhost:5301/");
    public string ReportDirectory { get; init; } = DefaultReportDirectory();
    public string? AdminKey { get; init; }
    public int FirstProductId { get; init; } = 4901;
    public int LastProductId { get; init; } = 4920;
    /// <summary>
    /// Shoppers sharing one source address, the same for every address. 0 (the default): a crowd as it comes — most
    /// shoppers alone on their address, some behind a household's, an office's or a carrier's shared one (<see cref="AddressPlan"/>).
    /// </summary>
    public int ShoppersPerAddress { get; init; }
    /// <summary>Order worker instances behind the target, for the per-worker capacity figure.</summary>
    public int OrderWorkers { get; init; } = 2;
    public int DrainSeconds { get; init; } = 180;
    public string SaleId { get; init; } = $"loadtest-{DateTime.UtcNow:yyyyMMddHHmmss}";
    /// <summary>Every shopper joins and keeps waiting; the sale is paused from the start, so nobody is admitted.</summary>
    public bool WaitingOnly { get; init; }
    /// <summary>Connections the waiting crowd's polls of the shared queue resource share (they carry no cookie and no address).</summary>
    public int CrowdConnections { get; init; } = 1024;

    public IReadOnlyList<int> ProductIds => [.. Enumerable.Range(FirstProductId, LastProductId - FirstProductId + 1)];

    /// <summary>Reads a command line (see <see cref="LoadTestCommandLine"/>); a wrong one throws <see cref="FormatException"/> with a message for a person.</summary>
    public static LoadTestOptions Parse(IReadOnlyList<string> args) => LoadTestCommandLine.Read(args) switch
    {
        LoadTestCommandLine.Run run => run.Options,
        LoadTestCommandLine.Invalid invalid => throw new FormatException(invalid.Message),
        _ => throw new FormatException("--help asks for the options, not a run."),
    };

    /// <summary>This run as a command line (the admin key apart: it goes through the environment, not the process list).</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var c = CultureInfo.InvariantCulture;
        List<string> args =
        [
            "--shoppers", Shoppers.ToString(c),
            "--arrival-seconds", ArrivalSeconds.ToString(c),
            "--poll-seconds", PollSeconds.ToString(c),
            "--stock", Stock.ToString(c),
            "--admissions-per-minute", AdmissionsPerMinute.ToString(c),
            "--max-active", MaxActiveShoppers.ToString(c),
            "--duration", DurationSeconds.ToString(c),
            "--target", Target.ToString(),
            "--admin-target", AdminTarget.ToString(),
            "--report", ReportDirectory,
            "--products", $"{FirstProductId}-{LastProductId}",
            "--shoppers-per-address", ShoppersPerAddress.ToString(c),
            "--order-workers", OrderWorkers.ToString(c),
            "--drain-seconds", DrainSeconds.ToString(c),
            "--crowd-connections", CrowdConnections.ToString(c),
            "--sale-id", SaleId,
        ];
        if (WaitingOnly)
        {
            args.Add("--waiting-only");
        }
        return args;
    }

    internal static string DefaultReportDirectory() => Path.Combine(
        Environment.GetEnvironmentVariable("LOADTEST_REPORT_ROOT") ?? Path.Combine("artifacts", "loadtest"),
        DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
}
