using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Shop.LoadTest;

/// <summary>
/// The load test's options (System.CommandLine): the console program's whole command line, and the <c>loadtest</c>
/// command of the bench runner, which checks them before it boots a shop. Defaults are <see cref="LoadTestOptions"/>'.
/// </summary>
public sealed class LoadTestCommandLine
{
    public const string Description = "A peak sale against the shop: shoppers join the waiting room, wait, browse, fill a cart, order.";

    private static readonly LoadTestOptions Defaults = new();

    private readonly Option<int> shoppers = Whole("--shoppers", "N", $"shoppers who come to the sale ({Defaults.Shoppers})", 1, 10_000_000);
    private readonly Option<double> arrivalSeconds = Number("--arrival-seconds", "S", $"their arrivals spread evenly over S seconds ({Defaults.ArrivalSeconds})", 0, 86_400);
    private readonly Option<double> pollSeconds = Number("--poll-seconds", "S", $"a waiting shopper reads the sale's queue resource every S seconds ({Defaults.PollSeconds})", 0.1, 600);
    private readonly Option<int> stock = Whole("--stock", "N", $"units on sale, spread over the products ({Defaults.Stock})", 0, 100_000_000);
    private readonly Option<int> admissionsPerMinute = Whole("--admissions-per-minute", "N", $"the sale's admission rate ({Defaults.AdmissionsPerMinute})", 1, 1_000_000);
    private readonly Option<int> maxActive = Whole("--max-active", "N", $"the sale's most shoppers in the store at once ({Defaults.MaxActiveShoppers})", 1, 10_000_000);
    private readonly Option<int> duration = Whole("--duration", "S", $"upper bound of the sale; the order queue drains after it ({Defaults.DurationSeconds})", 1, 86_400);
    private readonly Option<Uri> target = new("--target")
    {
        HelpName = "URL",
        Description = $"the shop's edge ({Defaults.Target})",
        CustomParser = result => Url(result),
    };
    private readonly Option<Uri> adminTarget = new("--admin-target")
    {
        HelpName = "URL",
        Description = $"where the sale is set up through the admin API: an API instance on this machine, or the shop's https address ({Defaults.AdminTarget})",
        CustomParser = result => AdminUrl(result),
    };
    private readonly Option<string> report = new("--report")
    {
        HelpName = "DIR",
        Description = "where report.html, report.json and capacity.md go (artifacts/loadtest/<time>)",
    };
    private readonly Option<string> adminKey = new("--admin-key")
    {
        HelpName = "KEY",
        Description = "the shop's admin key (default: $Admin__Key or $LOADTEST_ADMIN_KEY)",
    };
    private readonly Option<(int First, int Last)> products = new("--products")
    {
        HelpName = "FIRST-LAST",
        Description = $"the products on sale ({Defaults.FirstProductId}-{Defaults.LastProductId})",
        CustomParser = result => Products(result),
    };
    private readonly Option<int> shoppersPerAddress = Whole("--shoppers-per-address", "N",
        "shoppers sharing each client address; 0: a real crowd, most alone, some behind a shared address (0)", 0, 10_000_000);
    private readonly Option<int> orderWorkers = Whole("--order-workers", "N", $"order workers behind the target, for the capacity figures ({Defaults.OrderWorkers})", 1, 1_000);
    private readonly Option<int> drainSeconds = Whole("--drain-seconds", "S", $"longest wait for accepted orders to settle after the sale ({Defaults.DrainSeconds})", 0, 86_400);
    private readonly Option<bool> waitingOnly = new("--waiting-only")
    {
        Description = "every shopper joins and keeps waiting for --duration seconds; the sale stays paused, nobody is admitted",
    };
    private readonly Option<int> crowdConnections = Whole("--crowd-connections", "N",
        $"connections the waiting crowd's polls of the shared queue resource share ({Defaults.CrowdConnections})", 1, 60_000);
    private readonly Option<string> saleId = new("--sale-id")
    {
        HelpName = "ID",
        Description = "the sale's id (loadtest-<time>)",
    };

    private readonly Func<string, string?> environment;
    private readonly bool requireAdminKey;

    /// <param name="command">The command the options are added to.</param>
    /// <param name="requireAdminKey">False where the caller supplies the key itself (the bench runner, from the shop it boots).</param>
    public LoadTestCommandLine(Command command, bool requireAdminKey = true, Func<string, string?>? environment = null)
    {
        Command = command;
        this.requireAdminKey = requireAdminKey;
        this.environment = environment ?? Environment.GetEnvironmentVariable;
        Option[] all =
        [
            shoppers, arrivalSeconds, pollSeconds, stock, admissionsPerMinute, maxActive, duration, target, adminTarget, report, adminKey, products,
            shoppersPerAddress, orderWorkers, drainSeconds, waitingOnly, crowdConnections, saleId,
        ];
        foreach (var option in all)
        {
            command.Options.Add(option);
        }
    }

    public Command Command { get; }

    /// <summary>What a command line asks for: the help, a run, or nothing (with the reason, for a person).</summary>
    public abstract record Outcome;

    public sealed record Help(string Text) : Outcome;

    public sealed record Invalid(string Message) : Outcome;

    public sealed record Run(LoadTestOptions Options) : Outcome;

    /// <summary>Write the capacity answers (docs/capacity.md) from these runs' reports.</summary>
    public sealed record Capacity(IReadOnlyList<string> Runs, string? Output) : Outcome;

    /// <summary>The console program's command line: a run, or <c>capacity RUN...</c>.</summary>
    public static Outcome Read(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        var root = new RootCommand(Description);
        var commandLine = new LoadTestCommandLine(root, requireAdminKey: true, environment);
        var runs = new Argument<string[]>("RUN")
        {
            Description = "report folders (or report.json files) of ./shop loadtest runs: a sale run and a --waiting-only run",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--output") { HelpName = "FILE", Description = "where to write it (docs/capacity.md); standard output when left out" };
        var capacity = new Command("capacity", "Writes the capacity answers (docs/capacity.md) from the reports of finished runs.") { runs, output };
        root.Subcommands.Add(capacity);
        // A run is the root command's own: without an action of its own, System.CommandLine would ask for the subcommand.
        root.SetAction(_ => 0);

        var parse = root.Parse(args);
        if (parse.CommandResult.Command != capacity)
        {
            return commandLine.Read(parse);
        }
        if (parse.Action is HelpAction)
        {
            return new Help(HelpText(parse));
        }
        if (parse.Errors.Count > 0)
        {
            return new Invalid(string.Join(Environment.NewLine, parse.Errors.Select(e => e.Message)));
        }
        var missing = parse.GetValue(runs)!.Where(run => !File.Exists(run) && !File.Exists(Path.Combine(run, "report.json"))).ToList();
        return missing.Count > 0
            ? new Invalid($"No report.json at {string.Join(", ", missing)}.")
            : new Capacity(parse.GetValue(runs)!, parse.GetValue(output));
    }

    /// <summary>Reads a parse of <see cref="Command"/> (or of a parent whose chosen command it is).</summary>
    public Outcome Read(ParseResult parse)
    {
        if (parse.Action is HelpAction)
        {
            return new Help(HelpText(parse));
        }
        if (parse.Errors.Count > 0)
        {
            return new Invalid(string.Join(Environment.NewLine, parse.Errors.Select(e => e.Message)));
        }
        T Or<T>(Option<T> option, T fallback) => parse.GetResult(option) is null ? fallback : parse.GetValue(option)!;

        var range = Or<(int First, int Last)>(products, (Defaults.FirstProductId, Defaults.LastProductId));
        var options = new LoadTestOptions
        {
            Shoppers = Or(shoppers, Defaults.Shoppers),
            ArrivalSeconds = Or(arrivalSeconds, Defaults.ArrivalSeconds),
            PollSeconds = Or(pollSeconds, Defaults.PollSeconds),
            Stock = Or(stock, Defaults.Stock),
            AdmissionsPerMinute = Or(admissionsPerMinute, Defaults.AdmissionsPerMinute),
            MaxActiveShoppers = Or(maxActive, Defaults.MaxActiveShoppers),
            DurationSeconds = Or(duration, Defaults.DurationSeconds),
            Target = Or(target, Defaults.Target),
            AdminTarget = Or(adminTarget, Defaults.AdminTarget),
            ReportDirectory = Or(report, LoadTestOptions.DefaultReportDirectory()),
            AdminKey = (parse.GetResult(adminKey) is null ? null : parse.GetValue(adminKey)) ?? environment("Admin__Key") ?? environment("LOADTEST_ADMIN_KEY"),
            FirstProductId = range.First,
            LastProductId = range.Last,
            ShoppersPerAddress = Or(shoppersPerAddress, 0),
            OrderWorkers = Or(orderWorkers, Defaults.OrderWorkers),
            DrainSeconds = Or(drainSeconds, Defaults.DrainSeconds),
            WaitingOnly = Or(waitingOnly, false),
            CrowdConnections = Or(crowdConnections, Defaults.CrowdConnections),
        };
        if (parse.GetResult(saleId) is not null)
        {
            options = options with { SaleId = parse.GetValue(saleId)! };
        }
        if (requireAdminKey && string.IsNullOrWhiteSpace(options.AdminKey))
        {
            return new Invalid("The load test sets up the sale through the admin API: pass --admin-key (./shop loadtest does).");
        }
        return new Run(options);
    }

    /// <summary>The help System.CommandLine writes for the parsed command, as text.</summary>
    public static string HelpText(ParseResult parse)
    {
        var text = new StringWriter();
        parse.Invoke(new InvocationConfiguration { Output = text, Error = text });
        return text.ToString();
    }

    private static Option<int> Whole(string name, string helpName, string description, int min, int max) => new(name)
    {
        HelpName = helpName,
        Description = description,
        CustomParser = result =>
        {
            var value = Token(result);
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            {
                return number;
            }
            result.AddError($"{name} takes a whole number from {min} to {max}, not '{value}'.");
            return 0;
        },
    };

    private static Option<double> Number(string name, string helpName, string description, double min, double max) => new(name)
    {
        HelpName = helpName,
        Description = description,
        CustomParser = result =>
        {
            var value = Token(result);
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            {
                return number;
            }
            result.AddError($"{name} takes a number from {min} to {max}, not '{value}'.");
            return 0;
        },
    };

    private static Uri? Url(ArgumentResult result)
    {
        var value = Token(result);
        if (Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }
        result.AddError($"--target takes an http(s) URL such as http://localhost:8080, not '{value}'.");
        return null;
    }

    /// <summary>The API refuses the admin key over plain http from another machine: so does the load test, before it sends it.</summary>
    private static Uri? AdminUrl(ArgumentResult result)
    {
        var value = Token(result);
        if (Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri)
            && (uri.Scheme == "https" || (uri.Scheme == "http" && uri.IsLoopback)))
        {
            return uri;
        }
        result.AddError($"--admin-target takes an https URL, or an http URL on this machine such as http://localhost:5301 (an API instance): the admin key never travels in clear text. Not '{value}'.");
        return null;
    }

    private static (int First, int Last) Products(ArgumentResult result)
    {
        var parts = Token(result).Split('-');
        if (parts.Length == 2 && int.TryParse(parts[0], out var first) && int.TryParse(parts[1], out var last) && first >= 1 && last >= first)
        {
            return (first, last);
        }
        result.AddError("--products takes a range of product ids such as 4901-4920.");
        return default;
    }

    private static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
}
