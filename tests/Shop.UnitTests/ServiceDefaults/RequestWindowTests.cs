using Shop.ServiceDefaults.Experience;

namespace Shop.UnitTests.ServiceDefaults;

/// <summary>An instance's own window of request durations and 5xx, and how windows add up. No shop is booted.</summary>
public sealed class RequestWindowTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void The_window_counts_requests_errors_and_the_tail_of_the_last_ten_seconds()
    {
        var clock = new ManualClock();
        var window = new RequestWindow(clock);
        for (var i = 0; i < 90; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(20), serverError: false);
        }
        for (var i = 0; i < 10; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(1800), serverError: i < 2);
        }

        var report = window.Read();

        Assert.Equal(100, report.Requests);
        Assert.Equal(0.02, report.ErrorRate, 6);
        // The 95th of 100 answers is the 5th of the 10 in the 1500–2000 ms bucket: interpolated, 1750 ms.
        Assert.Equal(1750, report.PercentileMs(0.95), 6);
        Assert.InRange(report.PercentileMs(0.5), 10, 25);
    }

    [Fact]
    public void Answers_older_than_the_window_drop_out_and_a_reused_slot_starts_empty()
    {
        var clock = new ManualClock();
        var window = new RequestWindow(clock);
        window.Record(TimeSpan.FromSeconds(3), serverError: true);
        clock.Now += TimeSpan.FromSeconds(RequestWindow.Seconds - 1);
        window.Record(TimeSpan.FromMilliseconds(10), serverError: false);
        Assert.Equal((2L, 1L), (window.Read().Requests, window.Read().Errors));

        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal((1L, 0L), (window.Read().Requests, window.Read().Errors));

        // Eleven seconds on, the first slot holds a new second: the slow failure of before is not carried into it.
        clock.Now += TimeSpan.FromSeconds(1);
        window.Record(TimeSpan.FromMilliseconds(10), serverError: false);
        var report = window.Read();
        Assert.Equal((2L, 0L), (report.Requests, report.Errors));
        Assert.True(report.PercentileMs(0.99) <= 10);

        clock.Now += TimeSpan.FromMinutes(5);
        Assert.Equal(0, window.Read().Requests);
        Assert.Equal(0, window.Read().PercentileMs(0.95));
    }

    [Fact]
    public void Requests_recorded_from_many_threads_at_once_are_all_counted()
    {
        var window = new RequestWindow(new ManualClock());
        Parallel.For(0, 200_000, i => window.Record(TimeSpan.FromMilliseconds(i % 300), serverError: i % 100 == 0));
        var report = window.Read();
        Assert.Equal(200_000, report.Requests);
        Assert.Equal(2_000, report.Errors);
    }

    [Fact]
    public void Windows_of_several_instances_add_up_and_travel_as_text()
    {
        var fast = new RequestWindow(new ManualClock());
        var slow = new RequestWindow(new ManualClock());
        for (var i = 0; i < 50; i++)
        {
            fast.Record(TimeSpan.FromMilliseconds(8), serverError: false);
            slow.Record(TimeSpan.FromMilliseconds(40_000), serverError: true);
        }
        var both = ExperienceReport.Sum([fast.Read(), ExperienceReport.Parse(slow.Read().FormatBuckets(), slow.Read().Errors)!]);

        Assert.Equal(100, both.Requests);
        Assert.Equal(0.5, both.ErrorRate);
        // Slower than the last bound counts as the last bound: still far over any threshold, and never infinite.
        Assert.Equal(ExperienceReport.BoundsMs[^1], both.PercentileMs(0.95));
        Assert.Null(ExperienceReport.Parse("1,2,3", 0));
        Assert.Null(ExperienceReport.Parse(null, 0));
    }
}
