using System.Diagnostics;
using System.Text.Json;
using Shop.AppHost.Infrastructure;
using Shop.LoadTest;
using Shop.LoadTest.Reporting;

namespace Shop.UnitTests.LoadTest;

/// <summary>The load test's own rules, with nothing booted: its command line, the crowd's addresses, the waiter's protocol, the report's counts.</summary>
public sealed class LoadTestRulesTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_lists_every_option_and_asks_for_no_admin_key(string help)
    {
        var outcome = LoadTestCommandLine.Read([help], NoEnvironment);

        var text = Assert.IsType<LoadTestCommandLine.Help>(outcome).Text;
        foreach (var option in new[] { "--shoppers", "--arrival-seconds", "--poll-seconds", "--stock", "--admissions-per-minute", "--max-active",
                     "--duration", "--target", "--admin-target", "--report", "--admin-key", "--products", "--shoppers-per-address", "--order-workers",
                     "--drain-seconds", "--waiting-only", "--crowd-connections" })
        {
            Assert.Contains(option, text);
        }
    }

    [Theory]
    [InlineData("--shoppers abc", "--shoppers takes a whole number from 1 to 10000000, not 'abc'.")]
    [InlineData("--shoppers 0", "--shoppers takes a whole number from 1 to 10000000, not '0'.")]
    [InlineData("--poll-seconds 0", "--poll-seconds takes a number from 0.1 to 600, not '0'.")]
    [InlineData("--target ftp://x", "--target takes an http(s) URL such as http://localhost:8080, not 'ftp://x'.")]
    [InlineData("--products 20-10", "--products takes a range of product ids such as 4901-4920.")]
    [InlineData("--admin-target http://shop.example", "--admin-target takes an https URL, or an http URL on this machine")]
    [InlineData("--shopers 5", "--shopers")]
    [InlineData("--shoppers", "--shoppers")]
    public void A_wrong_option_is_named_in_a_message_for_a_person(string line, string message)
    {
        var outcome = LoadTestCommandLine.Read([.. line.Split(' '), "--admin-key", "k"], NoEnvironment);

        Assert.Contains(message, Assert.IsType<LoadTestCommandLine.Invalid>(outcome).Message);
    }

    [Fact]
    public void Without_an_admin_key_the_run_is_refused_and_the_environment_can_give_it()
    {
        Assert.Contains("--admin-key", Assert.IsType<LoadTestCommandLine.Invalid>(LoadTestCommandLine.Read([], NoEnvironment)).Message);
        var run = Assert.IsType<LoadTestCommandLine.Run>(LoadTestCommandLine.Read([], name => name == "Admin__Key" ? "from-env" : null));
        Assert.Equal("from-env", run.Options.AdminKey);
    }

    [Fact]
    public void Every_option_keeps_its_meaning_and_a_run_reads_back_from_its_own_arguments()
    {
        var outcome = LoadTestCommandLine.Read(
        [
            "--shoppers", "250000", "--arrival-seconds", "120", "--poll-seconds", "20", "--stock", "7", "--admissions-per-minute", "900",
            "--max-active", "300", "--duration", "400", "--target", "http://127.0.0.1:12080", "--admin-target", "https://shop.example/",
            "--report", "/tmp/r", "--admin-key", "k",
            "--products", "4921-4940", "--shoppers-per-address", "3", "--order-workers", "4", "--drain-seconds", "30", "--waiting-only",
            "--crowd-connections", "64", "--sale-id", "s-1",
        ], NoEnvironment);

        var options = Assert.IsType<LoadTestCommandLine.Run>(outcome).Options;
        Assert.Equal(new LoadTestOptions
        {
            Shoppers = 250_000, ArrivalSeconds = 120, PollSeconds = 20, Stock = 7, AdmissionsPerMinute = 900, MaxActiveShoppers = 300,
            DurationSeconds = 400, Target = new Uri("http://127.0.0.1:12080/"), AdminTarget = new Uri("https://shop.example/"),
            ReportDirectory = "/tmp/r", AdminKey = "k",
            FirstProductId = 4921, LastProductId = 4940, ShoppersPerAddress = 3, OrderWorkers = 4, DrainSeconds = 30, WaitingOnly = true,
            CrowdConnections = 64, SaleId = "s-1",
        }, options);
        var again = LoadTestCommandLine.Read(options.ToArguments(), name => name == "Admin__Key" ? "k" : null);
        Assert.Equal(options, Assert.IsType<LoadTestCommandLine.Run>(again).Options);
    }

    [Theory]
    [InlineData("Shop.LoadTest", "--help", 0, "--waiting-only")]
    [InlineData("Shop.LoadTest", "--shoppers many --admin-key k", 2, "--shoppers takes a whole number")]
    [InlineData("Shop.Bench", "loadtest --help", 0, "--waiting-only")]
    [InlineData("Shop.Bench", "loadtest -h", 0, "--shoppers")]
    [InlineData("Shop.Bench", "loadtest --stock -5", 2, "--stock")]
    [InlineData("Shop.Bench", "--help", 0, "waitingroom")]
    [InlineData("Shop.Bench", "catalog nosuch", 2, "Unknown group 'nosuch'")]
    [InlineData("Shop.Bench", "mix orders", 2, "mix runs alone")]
    public async Task The_programs_answer_help_and_wrong_options_at_once_without_booting_a_shop(string program, string line, int exitCode, string expected)
    {
        var folder = Path.Combine("bench", program);
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(BootedShop.RepositoryRoot, folder, "bin", framework.Parent!.Name, framework.Name, $"{program}.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var argument in line.Split(' '))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment.Remove("Admin__Key");
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        var said = await output + await error;
        Assert.True(exitCode == process.ExitCode, said);
        Assert.Contains(expected, said);
        Assert.DoesNotContain("Booting", said);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_crowd_comes_mostly_alone_with_some_behind_shared_addresses_that_the_join_limit_lets_in()
    {
        var plan = AddressPlan.Of(20_000, perAddress: 0);
        var sizes = plan.GroupSizes();

        Assert.Equal(20_000, sizes.Sum());
        Assert.InRange(sizes.Count(size => size == 1), 14_500, 15_500); // 75 % alone
        Assert.InRange(sizes[0], 51, 150); // the largest: a carrier's NAT
        Assert.Equal(plan.Addresses, sizes.Count);

        var settings = new WaitingRoomSettings();
        foreach (var (shoppers, arrival) in new[] { (20_000, 60.0), (2_000, 20.0), (250_000, 120.0), (6_000, 15.0) })
        {
            var crowd = AddressPlan.Of(shoppers, perAddress: 0);
            Assert.True(crowd.GroupSizes()[0] <= Math.Max(2, shoppers / 100));
            foreach (var offset in new[] { 0.0, 3.3, 7.7 })
            {
                Assert.True(crowd.MostJoinsPerWindow(arrival, settings.JoinLimitWindowSeconds, offset) <= settings.JoinLimit,
                    $"{shoppers} over {arrival} s: an address joins more than {settings.JoinLimit} times in {settings.JoinLimitWindowSeconds} s");
            }
        }
        // The run that prompted it: 60 shoppers behind each address, one join a second each, 20 per 10 s allowed then.
        Assert.True(AddressPlan.Of(20_000, perAddress: 60).MostJoinsPerWindow(60, 10) > 9);
    }

    [Fact]
    public void A_fixed_number_per_address_shares_each_address_between_consecutive_shoppers()
    {
        var plan = AddressPlan.Of(10, perAddress: 4);
        Assert.Equal(3, plan.Addresses);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2], Enumerable.Range(0, 10).Select(plan.AddressOf));
    }

    [Fact]
    public void Addresses_stay_inside_127_8_and_off_this_machine_s_own()
    {
        var addresses = new[] { 0, 249, 250, 62_499, 62_500, 249_999, 1_000_000 }.Select(ClientAddresses.Address).ToList();
        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        Assert.All(addresses, a =>
        {
            var bytes = a.GetAddressBytes();
            Assert.Equal(127, bytes[0]);
            Assert.NotEqual(0, bytes[1]);
            Assert.InRange(bytes[3], 1, 250);
        });
    }

    [Fact]
    public void A_waiter_asks_the_services_only_when_open_drawn_at_its_turn_or_as_a_heartbeat_near_the_front()
    {
        var queue = new QueueState("s", "Live", Open: false, Serving: 1000, LastPosition: 300_000, AdmissionsPerMinute: 750, Paused: false,
            Drawn: true, StartsAt: null, AsOf: null, HeartbeatWithin: 500, HeartbeatSeconds: 15);

        Assert.Equal(StatusCall.Open, WaiterRules.Next(queue with { Open = true }, 250_000, 0));
        Assert.Equal(StatusCall.Drawn, WaiterRules.Next(queue, position: null, 0));
        Assert.Equal(StatusCall.None, WaiterRules.Next(queue with { Drawn = false }, position: null, 100));
        Assert.Equal(StatusCall.Turn, WaiterRules.Next(queue, 1000, 0));
        Assert.Equal(StatusCall.Turn, WaiterRules.Next(queue, 400, 0));
        // Near the front (500 or fewer ahead): a heartbeat, at most every 15 s.
        Assert.Equal(StatusCall.Heartbeat, WaiterRules.Next(queue, 1501, 15));
        Assert.Equal(StatusCall.None, WaiterRules.Next(queue, 1501, 14.9));
        // Further back: nothing after the join.
        Assert.Equal(StatusCall.None, WaiterRules.Next(queue, 1502, 600));
        Assert.Equal(500, WaiterRules.Ahead(queue, 1501));
        Assert.Equal(0, WaiterRules.Ahead(queue, 10));
    }

    [Fact]
    public void A_cookie_jar_keeps_the_last_value_of_each_cookie_and_forgets_deleted_ones()
    {
        var jar = new CookieJar();
        Assert.Null(jar.Header);
        jar.Set("shop.ticket=abc; path=/; httponly; samesite=lax");
        jar.Set("shop.cart=1; Max-Age=600");
        jar.Set("shop.ticket=def; path=/");
        Assert.Equal("shop.cart=1; shop.ticket=def", jar.Header);
        jar.Set("shop.cart=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/");
        jar.Set("shop.ticket=x; Max-Age=0");
        Assert.Null(jar.Header);
    }

    [Fact]
    public void The_counts_keep_failures_refusals_and_the_drain_apart_and_count_what_reached_the_services_per_waiter_minute()
    {
        Sample At(RequestKind kind, float at, short status, bool cached = false) => new(kind, at, 10, status, -1, cached);
        Sample[] samples =
        [
            At(RequestKind.Join, 0, 200), At(RequestKind.Join, 1, 429), At(RequestKind.Catalog, 2, 503), At(RequestKind.Catalog, 3, 0),
            At(RequestKind.QueuePoll, 4, 200, cached: true), At(RequestKind.QueuePoll, 5, 200, cached: true), At(RequestKind.QueuePoll, 6, 200),
            At(RequestKind.Status, 7, 200), At(RequestKind.Order, 8, 202), At(RequestKind.Order, 9, 409),
            // The order drain, after the sale ended at 10 s.
            At(RequestKind.OrderStatus, 12, 200), At(RequestKind.OrderStatus, 15, 200),
        ];

        Assert.Equal(2, RequestCounts.Errors4xx(samples));
        Assert.Equal(1, RequestCounts.Errors5xx(samples));
        Assert.Equal(1, RequestCounts.Unanswered(samples));
        Assert.Equal(10, RequestCounts.SaleSeconds(samples, saleEndedAt: 10));
        Assert.Equal(1.0, RequestCounts.RequestsPerSecond(samples, 10)); // 10 requests in 10 s; the drain's 2 left out
        Assert.Equal(0.6, RequestCounts.GoodputPerSecond(samples, 10));
        // One uncached poll and one status call in two waiter-minutes.
        Assert.Equal(1.0, RequestCounts.ApiRequestsPerWaiterPerMinute(samples, waiterSeconds: 120));
        Assert.Equal(0, RequestCounts.ApiRequestsPerWaiterPerMinute(samples, waiterSeconds: 0));
        Assert.Equal(66.67, RequestCounts.QueuePollsFromEdgeCachePercent(samples));
        Assert.Equal(3, RequestCounts.StatusLatency(samples).Count); // the queue polls, not the status call
        Assert.Equal(1, RequestCounts.StatusLatency([At(RequestKind.Status, 1, 200)]).Count); // a shop without the queue resource
    }

    [Fact]
    public async Task The_report_json_states_the_new_summary_fields_and_reads_back_as_written()
    {
        var options = new LoadTestOptions { Shoppers = 3, PollSeconds = 20, WaitingOnly = true, AdminKey = "k" };
        var run = new RecordedRun(
            [new(RequestKind.Join, 0, 5, 200, 0), new(RequestKind.QueuePoll, 20, 2, 200, 0, FromEdgeCache: true), new(RequestKind.Status, 21, 8, 503, 1)],
            [], ["api-1", "api-2"], [], [], new Dictionary<string, long>())
        {
            WaiterSeconds = 60,
            SaleEndedAt = 30,
        };
        var counters = new LoadTestCounters { Arrived = 3, WaitingPeak = 3 };
        var result = LoadTestResult.From(options, DateTimeOffset.UtcNow, run, [], new Dictionary<int, int>(), new Dictionary<int, int?>(), counters, 30,
            new LoadGenerator(12.5, 3, 1, 1024)) with { Cpu = new Dictionary<string, double> { ["api"] = 40, [LoadGeneratorCpu] = 12.5 } };
        var directory = Path.Combine(Path.GetTempPath(), $"loadtest-report-{Guid.NewGuid():N}");
        try
        {
            await ReportWriter.WriteAsync(result, directory, CancellationToken.None);

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "report.json")));
            var summary = json.RootElement.GetProperty("summary");
            Assert.Equal(1, summary.GetProperty("errors5xx").GetInt64());
            Assert.Equal(0, summary.GetProperty("unanswered").GetInt64());
            Assert.Equal(2, summary.GetProperty("statusLatencyMs").GetProperty("p99").GetDouble());
            Assert.Equal(1, summary.GetProperty("apiRequestsPerWaiterPerMinute").GetDouble()); // the status call, in one waiter-minute
            Assert.Equal(3, summary.GetProperty("waitersHeld").GetInt32());
            // The cached poll's X-Served-By is not that instance's load.
            Assert.Equal(["api-1", "api-2"], json.RootElement.GetProperty("requestsByInstance").EnumerateObject().Select(p => p.Name));
            Assert.Equal(1, json.RootElement.GetProperty("requestsByInstance").GetProperty("api-1").GetInt64());

            var back = await ReportWriter.ReadAsync(directory, CancellationToken.None);
            Assert.Equal(result.Summary, back.Summary);
            Assert.Equal(12.5, back.Cpu![LoadGeneratorCpu]);
            var capacity = await File.ReadAllTextAsync(Path.Combine(directory, "capacity.md"));
            Assert.Contains("waiting shoppers held at once | 3", capacity);
            Assert.Contains("| 1,000,000 |", capacity);
            Assert.Contains("Where the CPU went", capacity);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Heartbeats_reaching_the_services_are_counted_once_everyone_has_arrived_and_do_not_grow_with_the_crowd()
    {
        var options = new LoadTestOptions { Shoppers = 500, ArrivalSeconds = 10, PollSeconds = 20, WaitingOnly = true, AdminKey = "k" };
        // Joins and status calls during the arrival, then 40 heartbeats in the 20 s after it.
        List<Sample> samples =
        [
            .. Enumerable.Range(0, 500).Select(i => new Sample(RequestKind.Join, i / 50f, 5, 200, 0)),
            .. Enumerable.Range(0, 30).Select(i => new Sample(RequestKind.Status, i / 3f, 5, 200, 0)),
            .. Enumerable.Range(0, 40).Select(i => new Sample(RequestKind.Status, 10 + i / 2f, 5, 200, 1)),
            new(RequestKind.Status, 31, 5, 200, 1), // after the sale ended
        ];
        var run = new RecordedRun(samples, [], ["api-1", "api-2"], [], [], new Dictionary<string, long>()) { WaiterSeconds = 500 * 20, SaleEndedAt = 30 };
        var result = LoadTestResult.From(options, DateTimeOffset.UtcNow, run, [], new Dictionary<int, int>(), new Dictionary<int, int?>(),
            new LoadTestCounters { Arrived = 500, WaitingPeak = 500 }, 30, new LoadGenerator(1, 500, 1, 1024));

        var waiting = result.Capacity.Waiting;
        Assert.Equal(2.0, waiting.HeartbeatsPerSecond);
        Assert.All(waiting.Needs, need => Assert.Equal(2.0, need.ApiRequestsPerSecond));
        Assert.Equal(50_000, waiting.Needs.Single(n => n.Waiting == 1_000_000).EdgePollsPerSecond);
    }

    [Fact]
    public async Task A_request_beyond_the_socket_budget_waits_for_a_socket_and_the_wait_is_the_generators_own_queueing()
    {
        using var budget = new SocketBudget(1);
        var recorder = new Recorder();
        var first = await budget.TakeAsync(recorder, CancellationToken.None);
        var second = budget.TakeAsync(recorder, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        Assert.Empty(recorder.Snapshot().ClientQueueMs);

        first.Dispose();
        first.Dispose(); // twice is once
        (await second).Dispose();
        Assert.Single(recorder.Snapshot().ClientQueueMs);
        Assert.True(SocketBudget.OpenFileLimit() > 0);
    }

    private const string LoadGeneratorCpu = "load generator";
}
