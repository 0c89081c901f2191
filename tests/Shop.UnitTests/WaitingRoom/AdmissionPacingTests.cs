using System.ComponentModel.DataAnnotations;
using Shop.Api.WaitingRoom;
using Shop.Data.Sales;

namespace Shop.UnitTests.WaitingRoom;

/// <summary>The pacing rule on its own: signals in, next rate factor and reason out. No shop is booted.</summary>
public sealed class AdmissionPacingTests
{
    private static readonly WaitingRoomOptions Options = new()
    {
        BacklogThreshold = 2000, LagThreshold = TimeSpan.FromSeconds(20), LatencyThreshold = TimeSpan.FromSeconds(1),
        ErrorRateThreshold = 0.01, MinimumRequests = 20, MinimumRateFactor = 0.1, RecoveryStep = 0.1,
    };

    private static PacingSignals Served(double p95Ms = 40, double errorRate = 0, long requests = 500, long backlog = 0, double lagSeconds = 0) =>
        new(backlog, lagSeconds, [new ServiceSignal("api", 800, 30, 0), new ServiceSignal("web", requests, p95Ms, errorRate)]);

    [Fact]
    public void A_healthy_shop_stays_at_full_speed_with_no_reason() =>
        Assert.Equal((1.0, PacingReasons.None), AdmissionPacing.Next(1.0, Served(), Options));

    [Theory]
    [InlineData(1500, 0, PacingReasons.Latency)]
    [InlineData(40, 0.02, PacingReasons.Errors)]
    [InlineData(1500, 0.02, PacingReasons.Errors)]
    public void Slow_or_failing_answers_halve_the_rate_and_say_why(double p95Ms, double errorRate, string reason) =>
        Assert.Equal((0.5, reason), AdmissionPacing.Next(1.0, Served(p95Ms, errorRate), Options));

    [Fact]
    public void The_admitted_shoppers_experience_outranks_checkout_in_naming_the_reason()
    {
        Assert.Equal(PacingReasons.Latency, AdmissionPacing.Next(1.0, Served(p95Ms: 2000, backlog: 5000, lagSeconds: 60), Options).Reason);
        Assert.Equal(PacingReasons.Backlog, AdmissionPacing.Next(1.0, Served(backlog: 5000, lagSeconds: 60), Options).Reason);
        Assert.Equal(PacingReasons.Lag, AdmissionPacing.Next(1.0, Served(lagSeconds: 60), Options).Reason);
    }

    [Fact]
    public void A_service_with_too_few_requests_in_the_window_is_no_trend() =>
        Assert.Equal((1.0, PacingReasons.None), AdmissionPacing.Next(1.0, Served(p95Ms: 5000, errorRate: 0.5, requests: 19), Options));

    [Fact]
    public void At_the_threshold_is_not_over_it() =>
        Assert.Equal(PacingReasons.None, AdmissionPacing.Next(1.0, Served(p95Ms: 1000, errorRate: 0.01), Options).Reason);

    [Fact]
    public void The_rate_never_goes_below_the_minimum_factor()
    {
        var factor = 1.0;
        for (var check = 0; check < 10; check++)
        {
            factor = AdmissionPacing.Next(factor, Served(p95Ms: 3000), Options).Factor;
        }
        Assert.Equal(Options.MinimumRateFactor, factor);
    }

    [Fact]
    public void Recovery_climbs_step_by_step_to_exactly_full_speed()
    {
        var factors = new List<double>();
        var factor = Options.MinimumRateFactor;
        while (factor < 1.0 && factors.Count < 100)
        {
            (factor, var reason) = AdmissionPacing.Next(factor, Served(), Options);
            Assert.Equal(PacingReasons.None, reason);
            factors.Add(factor);
        }
        Assert.Equal(new[] { 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 }, factors);
    }

    [Fact]
    public void Degraded_then_healthy_slows_down_at_once_and_recovers_slowly()
    {
        var factor = 1.0;
        var trace = new List<(double, string)>();
        foreach (var signals in new[] { Served(p95Ms: 1800), Served(p95Ms: 1800), Served(), Served(), Served(errorRate: 0.05), Served() })
        {
            var next = AdmissionPacing.Next(factor, signals, Options);
            trace.Add(next);
            factor = next.Factor;
        }
        Assert.Equal(new (double, string)[] { (0.5, "latency"), (0.25, "latency"), (0.35, "none"), (0.45, "none"), (0.225, "errors"), (0.325, "none") }, trace);
    }

    [Theory]
    [InlineData(nameof(WaitingRoomOptions.ErrorRateThreshold), 0.0)]
    [InlineData(nameof(WaitingRoomOptions.ErrorRateThreshold), 1.5)]
    [InlineData(nameof(WaitingRoomOptions.MinimumRequests), 0)]
    [InlineData(nameof(WaitingRoomOptions.RecoveryStep), 0.0)]
    public void Pacing_thresholds_out_of_range_are_refused_at_start(string option, object value)
    {
        var options = new WaitingRoomOptions();
        var property = typeof(WaitingRoomOptions).GetProperty(option)!;
        property.SetValue(options, Convert.ChangeType(value, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture));
        var errors = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true));
        Assert.Contains(errors, e => e.MemberNames.Contains(option));
    }

    [Fact]
    public void A_latency_threshold_out_of_range_is_refused_at_start()
    {
        var options = new WaitingRoomOptions { LatencyThreshold = TimeSpan.FromMinutes(5) };
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
        options.LatencyThreshold = TimeSpan.FromSeconds(1);
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }

    [Fact]
    public void A_sale_starts_admitting_slowly_and_doubles_while_healthy_up_to_its_rate()
    {
        var options = new WaitingRoomOptions { RampStartPerMinute = 600, MinimumRateFactor = 0.1 };
        var ramp = new RampState(AdmissionRamp.Start(30_000, options));
        var steps = new List<double> { ramp.Rate };
        while (ramp.Rate < 30_000)
        {
            steps.Add((ramp = AdmissionRamp.Next(ramp, 30_000, healthy: true, options)).Rate);
        }
        Assert.Equal([600, 1200, 2400, 4800, 9600, 19200, 30000], steps);
        Assert.Equal(30_000, AdmissionRamp.Next(ramp, 30_000, healthy: true, options).Rate);

        // A sale slower than the start has nothing to ramp.
        Assert.Equal(300, AdmissionRamp.Start(300, options));
    }

    [Fact]
    public void A_live_sale_the_leader_has_not_ramped_yet_is_at_the_slow_start_not_its_full_rate()
    {
        var options = new WaitingRoomOptions { RampStartPerMinute = 600 };
        var now = DateTimeOffset.Parse("2026-11-27T09:00:00Z");
        Sale Sale(DateTimeOffset startsAt, bool paused = false) => new()
        {
            Id = "bf", Name = "Black Friday", QueueMode = "Fifo", WhenRedisDown = "Closed", AdmissionsPerMinute = 30_000,
            StartsAt = startsAt, EndsAt = now.AddHours(1), Paused = paused,
        };
        var live = Sale(now.AddSeconds(-1));

        Assert.Equal(600, AdmissionRamp.Current(live, stored: null, now, options));
        Assert.Equal(4800, AdmissionRamp.Current(live, stored: 4800, now, options));
        Assert.Null(AdmissionRamp.Current(Sale(now.AddMinutes(5)), stored: null, now, options));
        Assert.Null(AdmissionRamp.Current(Sale(now.AddSeconds(-1), paused: true), stored: 4800, now, options));
        // What the admin stats and the shoppers' wait estimates then use: 2% of the rate, not all of it.
        Assert.Equal(0.02, AdmissionRamp.Factor(30_000, 1.0, AdmissionRamp.Current(live, stored: null, now, options)));
    }

    [Fact]
    public void Trouble_halves_the_ramp_and_from_then_on_it_doubles_only_up_to_half_the_rate_that_was_in_trouble_then_steps()
    {
        var options = new WaitingRoomOptions { RampStartPerMinute = 600, MinimumRateFactor = 0.1 };
        var troubled = AdmissionRamp.Next(new RampState(9600), 30_000, healthy: false, options);
        Assert.Equal(new RampState(4800, 4800), troubled);

        var steps = new List<double>();
        for (var ramp = AdmissionRamp.Next(troubled, 30_000, healthy: false, options); steps.Count < 6;)
        {
            steps.Add((ramp = AdmissionRamp.Next(ramp, 30_000, healthy: true, options)).Rate);
        }
        // Trouble twice (9,600 → 2,400, threshold 2,400): from there one step of 600 per healthy check.
        Assert.Equal([3000, 3600, 4200, 4800, 5400, 6000], steps);

        // Recovering from the floor: doubling up to the threshold, then steps.
        var low = new RampState(600, 2400);
        Assert.Equal([1200, 2400, 3000], new[] { low = AdmissionRamp.Next(low, 30_000, true, options), low = AdmissionRamp.Next(low, 30_000, true, options),
            AdmissionRamp.Next(low, 30_000, true, options) }.Select(r => r.Rate));

        Assert.Equal(600, AdmissionRamp.Next(new RampState(600), 30_000, healthy: false, options).Rate); // never below where it starts
        Assert.Equal(100, AdmissionRamp.Next(new RampState(150), 1000, healthy: false, options).Rate); // nor below the pacing floor of a slow sale

        Assert.Equal(0.02, AdmissionRamp.Factor(30_000, pacingFactor: 1.0, ramp: 600));
        Assert.Equal(0.01, AdmissionRamp.Factor(30_000, pacingFactor: 0.01, ramp: 600));
        Assert.Equal(0.5, AdmissionRamp.Factor(30_000, pacingFactor: 0.5, ramp: null));
    }
}
