using Shop.Bench;
using Shop.Bench.Catalog;
using Shop.Bench.Cpu;

namespace Shop.UnitTests.Bench;

/// <summary>The benchmark's own arithmetic (medians, CPU shares, process groups, search paths): nothing is booted.</summary>
public sealed class BenchInstrumentTests
{
    [Fact]
    public void The_median_is_the_middle_run_or_the_mean_of_the_middle_two()
    {
        Assert.Equal(5, Stats.Median([9, 1, 5]));
        Assert.Equal(4, Stats.Median([1, 3, 5, 100]));
        Assert.Equal(0, Stats.Median([]));
    }

    [Fact]
    public void A_stat_line_is_read_from_after_the_last_parenthesis_of_the_command()
    {
        const string line = "4242 (dotnet (x) y) S 4200 4242 4242 0 -1 4194560 100 0 0 0 70 30 5 6 20 0 12 0 987654 1000 200 " +
                            "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        var stat = CpuMeter.Parse(4242, line);
        Assert.Equal(new ProcessStat(4242, 4200, "dotnet (x) y", 987654, 100, 11), stat);
    }

    [Fact]
    public void A_process_belongs_to_its_nearest_root_then_to_the_tag_then_to_nobody()
    {
        ProcessStat[] processes =
        [
            Process(100, 1), // the runner
            Process(110, 100), // the orchestrator, under the runner
            Process(120, 110), // api-1's launcher, under the orchestrator
            Process(121, 120), // api-1 itself
            Process(130, 100), // the baseline, the runner's child
            Process(200, 1), // a daemon that left its parent, tagged
            Process(300, 1), // someone else's process
        ];
        ProcessRoot[] roots =
        [
            new(100, "bench runner", DescendantGroup: "orchestrator", ReapedGroup: "wrk"),
            new(120, ProcessGroups.OfResource("api-1")),
            new(130, "baseline kestrel"),
        ];

        var (own, reaped) = ProcessGroups.Assign(processes, roots, pid => pid == 200);

        Assert.Equal("bench runner", own[100]);
        Assert.Equal("wrk", reaped[100]);
        Assert.Equal("orchestrator", own[110]);
        Assert.Equal("api", own[120]);
        Assert.Equal("api", own[121]);
        Assert.Equal("baseline kestrel", own[130]);
        Assert.Equal(ProcessGroups.TaggedGroup, own[200]);
        Assert.False(own.ContainsKey(300));
    }

    [Theory]
    [InlineData("api-3", "api")]
    [InlineData("orderworker-2", "orderworker")]
    [InlineData("postgres-replica", "replica")]
    [InlineData("postgres", "postgres")]
    [InlineData("blobs", "azurite")]
    public void Resources_map_to_their_groups(string resource, string group) => Assert.Equal(group, ProcessGroups.OfResource(resource));

    [Fact]
    public void A_window_counts_new_processes_from_zero_and_reaped_children_where_their_parent_says()
    {
        var before = new Dictionary<int, ProcessStat>
        {
            [1] = Process(1, 0, own: 100, reaped: 10),
            [2] = Process(2, 1, own: 50),
            [3] = Process(3, 1, own: 999, start: 5), // ends; its pid is reused below by another process
        };
        var after = new Dictionary<int, ProcessStat>
        {
            [1] = Process(1, 0, own: 130, reaped: 40),
            [2] = Process(2, 1, own: 60),
            [3] = Process(3, 1, own: 7, start: 6),
            [4] = Process(4, 1, own: 5),
        };
        var own = new Dictionary<int, string> { [1] = "runner", [2] = "api", [3] = "api", [4] = "api" };
        var reaped = new Dictionary<int, string> { [1] = "wrk", [2] = "api", [3] = "api", [4] = "api" };

        var ticks = CpuUsage.Delta(before, after, own, reaped);

        Assert.Equal(30, ticks["runner"]);
        Assert.Equal(30, ticks["wrk"]);
        Assert.Equal(10 + 7 + 5, ticks["api"]);
    }

    [Fact]
    public void Shares_are_of_the_whole_machine_and_the_rest_is_other_processes_and_idle()
    {
        var usage = new CpuUsage(1000, 800, new Dictionary<string, long> { ["api"] = 500, ["edge"] = 200 }, new Dictionary<string, long>());

        Assert.Equal(50, usage.Share("api"));
        Assert.Equal(20, usage.Share("edge"));
        Assert.Equal(10, usage.Share(CpuUsage.RestOfMachine));
        Assert.Equal(20, usage.Share(CpuUsage.Idle));
        Assert.Equal(0, usage.Share("redis"));
    }

    [Fact]
    public void Windows_combine_by_adding_ticks_and_keeping_the_highest_peak()
    {
        var first = new CpuUsage(100, 50, new Dictionary<string, long> { ["api"] = 40 }, new Dictionary<string, long> { ["api"] = 300 });
        var second = new CpuUsage(100, 70, new Dictionary<string, long> { ["api"] = 20, ["edge"] = 10 }, new Dictionary<string, long> { ["api"] = 200 });

        var both = CpuUsage.Combine([first, second]);

        Assert.Equal(200, both.MachineTicks);
        Assert.Equal(120, both.MachineBusyTicks);
        Assert.Equal(60, both.GroupTicks["api"]);
        Assert.Equal(10, both.GroupTicks["edge"]);
        Assert.Equal(300, both.PeakRssBytes["api"]);
    }

    [Fact]
    public void Search_terms_are_words_of_real_names_their_prefixes_and_neighbouring_pairs()
    {
        var terms = SearchPaths.Terms(["Acme Steel Kettle 42", "Nordic Kettle 7"]);

        Assert.Contains("ste", terms);
        Assert.Contains("steel", terms);
        Assert.Contains("kettle", terms);
        Assert.Contains("steel kettle", terms);
        Assert.Contains("kettle 42", terms);
        Assert.DoesNotContain("st", terms);
        Assert.DoesNotContain("42", terms);
        Assert.Equal(terms.Count, terms.Distinct().Count());
    }

    [Fact]
    public void Search_paths_never_repeat_within_their_combinations()
    {
        var searches = new SearchPaths(SearchPaths.Terms(["Acme Steel Kettle 42", "Nordic Kettle 7"]), Path.GetTempPath());

        var paths = Enumerable.Range(0, searches.Combinations).Select(i => searches.Path("/api/catalog/items", i)).ToList();

        Assert.Equal(paths.Count, paths.Distinct().Count());
        Assert.StartsWith("/api/catalog/items?q=", paths[0]);
    }

    private static ProcessStat Process(int pid, int parent, long own = 0, long reaped = 0, long start = 1) =>
        new(pid, parent, "p", start, own, reaped);
}
