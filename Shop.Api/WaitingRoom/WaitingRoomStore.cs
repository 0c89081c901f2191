using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Shop.Data.Sales;
using Shop.Messaging;
using StackExchange.Redis;

namespace Shop.Api.WaitingRoom;

/// <summary>
/// The waiting room's state in Redis, one key family per sale. Every change that must be atomic (a join, the
/// draw, an admission tick) is one Lua script, so any number of API instances can share it without locks.
/// </summary>
public sealed class WaitingRoomStore(IConnectionMultiplexer redis, IOptions<WaitingRoomOptions> options, TimeProvider clock)
{
    public abstract record JoinResult;
    public sealed record Joined(long Position) : JoinResult;
    /// <summary>A lottery sale that has not started: the ticket waits for the draw.</summary>
    public sealed record PreQueued : JoinResult;
    /// <summary>A lottery sale that has started but not drawn yet; draw first, then join again.</summary>
    public sealed record DrawPending : JoinResult;
    public sealed record Limited(TimeSpan RetryAfter) : JoinResult;

    public sealed record Snapshot(long LastPosition, long Serving, bool Drawn, double RateFactor);
    /// <summary>Where a position stands: admitted when, skipped, or ended early (left, or used its orders).</summary>
    public sealed record Turn(long? AdmittedAtMs, bool Skipped, bool Ended);
    public sealed record Admission(long Position, long JoinedAtMs);
    public sealed record Tick(int Admitted, int Skipped, IReadOnlyList<Admission> Admissions, long AdmittedAtMs, int Active)
    {
        public IEnumerable<long> WaitedMs => Admissions.Select(a => AdmittedAtMs - a.JoinedAtMs);
    }
    public sealed record Counts(long Joined, long Waiting, long Admitted, long Active, long Abandoned);

    private static readonly RedisKey HealthKey = "wr:health";
    private static readonly RedisKey LeaderKey = "wr:leader";

    /// <summary>How long a sale's keys outlive its end: long enough for a late look at its figures, then Redis forgets them.</summary>
    public static readonly TimeSpan KeptAfterEnd = TimeSpan.FromHours(1);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Every script that writes a sale's keys sets them to expire at this instant (ms), so they go once the sale has ended.</summary>
    private static long KeepUntilMs(Sale sale) => (sale.EndsAt + KeptAfterEnd).ToUnixTimeMilliseconds();

    public bool IsConnected => redis.IsConnected;

    // KEYS: counter, joined, seen, prequeue, drawn-flag, rate key. ARGV: now, lottery?, before start?, ticket, limit, window ms, keep until ms.
    private const string JoinScript = """
        local n = redis.call('INCR', KEYS[6])
        if n == 1 then redis.call('PEXPIRE', KEYS[6], ARGV[6]) end
        if n > tonumber(ARGV[5]) then return {-1, redis.call('PTTL', KEYS[6])} end
        if ARGV[2] == '1' and redis.call('EXISTS', KEYS[5]) == 0 then
            if ARGV[3] == '1' then
                redis.call('SADD', KEYS[4], ARGV[4])
                redis.call('PEXPIREAT', KEYS[4], ARGV[7])
                return {0, 0}
            end
            return {-2, 0}
        end
        local position = redis.call('INCR', KEYS[1])
        redis.call('HSET', KEYS[2], position, ARGV[1])
        redis.call('HSET', KEYS[3], position, ARGV[1])
        for i = 1, 3 do redis.call('PEXPIREAT', KEYS[i], ARGV[7]) end
        return {1, position}
        """;

    public async Task<JoinResult> JoinAsync(Sale sale, string ticketId, string clientIp, bool beforeStart, DateTimeOffset now, TimeSpan limitWindow, int limit)
    {
        var keys = new SaleKeys(sale.Id);
        var window = now.ToUnixTimeMilliseconds() / (long)limitWindow.TotalMilliseconds;
        var result = (long[])(await Db.ScriptEvaluateAsync(JoinScript,
            [keys.Counter, keys.Joined, keys.Seen, keys.PreQueue, keys.DrawDone, $"wr:joins:{clientIp}:{window}"],
            [now.ToUnixTimeMilliseconds(), sale.QueueMode == SaleQueueModes.PreQueueLottery ? 1 : 0, beforeStart ? 1 : 0, ticketId,
             limit, (long)limitWindow.TotalMilliseconds, KeepUntilMs(sale)]))!;
        return result[0] switch
        {
            -1 => new Limited(TimeSpan.FromMilliseconds(Math.Max(result[1], 1))),
            -2 => new DrawPending(),
            0 => new PreQueued(),
            _ => new Joined(result[1]),
        };
    }

    // KEYS: prequeue, drawn-flag, drawn, counter, joined, seen. ARGV: now, keep until ms, then the ticket ids in their drawn order.
    private const string DrawScript = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
        local order, placed = {}, {}
        for i = 3, #ARGV do
            if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 1 and not placed[ARGV[i]] then
                table.insert(order, ARGV[i]); placed[ARGV[i]] = true
            end
        end
        for _, ticket in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            if not placed[ticket] then table.insert(order, ticket) end
        end
        for position, ticket in ipairs(order) do
            redis.call('HSET', KEYS[3], ticket, position)
            redis.call('HSET', KEYS[5], position, ARGV[1])
            redis.call('HSET', KEYS[6], position, ARGV[1])
        end
        redis.call('SET', KEYS[4], #order)
        redis.call('SET', KEYS[2], 1)
        for i = 1, 6 do redis.call('PEXPIREAT', KEYS[i], ARGV[2]) end
        return #order
        """;

    /// <summary>
    /// Gives everyone who joined a lottery sale before its start a random place, once. Any instance may call it; the
    /// first call wins. The shuffle uses a cryptographic generator, so no one can predict or replay the order.
    /// </summary>
    public async Task DrawAsync(Sale sale, DateTimeOffset now)
    {
        var keys = new SaleKeys(sale.Id);
        if (await Db.KeyExistsAsync(keys.DrawDone))
        {
            return;
        }
        var tickets = (await Db.SetMembersAsync(keys.PreQueue)).Select(t => (string)t!).ToArray();
        RandomNumberGenerator.Shuffle(tickets.AsSpan());
        await Db.ScriptEvaluateAsync(DrawScript,
            [keys.PreQueue, keys.DrawDone, keys.Drawn, keys.Counter, keys.Joined, keys.Seen],
            [now.ToUnixTimeMilliseconds(), KeepUntilMs(sale), .. tickets.Select(t => (RedisValue)t)]);
    }

    public async Task<long?> DrawnPositionAsync(Sale sale, string ticketId) =>
        (long?)await Db.HashGetAsync(new SaleKeys(sale.Id).Drawn, ticketId);

    public async Task<Snapshot> SnapshotAsync(Sale sale)
    {
        var keys = new SaleKeys(sale.Id);
        var batch = Db.CreateBatch();
        var values = batch.StringGetAsync([keys.Counter, keys.Serving, keys.DrawDone]);
        var factor = batch.HashGetAsync(HealthKey, "factor");
        var ramp = batch.StringGetAsync(keys.Ramp);
        batch.Execute();
        var v = await values;
        return new Snapshot((long?)v[0] ?? 0, (long?)v[1] ?? 0, v[2].HasValue,
            AdmissionRamp.Factor(sale.AdmissionsPerMinute, (double?)await factor ?? 1.0, RampOf(sale, (double?)await ramp)));
    }

    /// <summary>The sale's slow-start rate (admissions per minute) now, or null while it has none (<see cref="AdmissionRamp.Current"/>).</summary>
    public async Task<double?> RampAsync(Sale sale) => RampOf(sale, (double?)await Db.StringGetAsync(new SaleKeys(sale.Id).Ramp));

    private double? RampOf(Sale sale, double? stored) => AdmissionRamp.Current(sale, stored, clock.GetUtcNow(), options.Value);

    /// <summary>Sets the sale's slow-start rate (null: forget it, so admission starts slowly again), kept as long as the sale's other keys.</summary>
    public Task SetRampAsync(Sale sale, double? perMinute) => perMinute is { } rate
        ? Db.StringSetAsync(new SaleKeys(sale.Id).Ramp, rate, expiry: sale.EndsAt + KeptAfterEnd - DateTimeOffset.UtcNow)
        : Db.KeyDeleteAsync(new SaleKeys(sale.Id).Ramp);

    /// <summary>Records when waiters last asked for their status, for many at once (instances buffer them).</summary>
    public Task TouchAsync(Sale sale, IReadOnlyCollection<KeyValuePair<long, long>> lastSeenMs) =>
        lastSeenMs.Count == 0 ? Task.CompletedTask
            : Db.HashSetAsync(new SaleKeys(sale.Id).Seen, [.. lastSeenMs.Select(p => new HashEntry(p.Key, p.Value))], CommandFlags.FireAndForget);

    public async Task<Turn> TurnAsync(Sale sale, long position)
    {
        var keys = new SaleKeys(sale.Id);
        var batch = Db.CreateBatch();
        var admitted = batch.HashGetAsync(keys.Admitted, position);
        var skipped = batch.SetContainsAsync(keys.Skipped, position);
        var ended = batch.SetContainsAsync(keys.Ended, position);
        batch.Execute();
        return new Turn((long?)await admitted, await skipped, await ended);
    }

    public Task<bool> HasEndedAsync(Sale sale, long position) => Db.SetContainsAsync(new SaleKeys(sale.Id).Ended, position);

    // KEYS: counter, serving, seen, admitted, skipped, active, next, joined, ended.
    // ARGV: now, interval ms, catch-up ms, max active, stale-before ms, session ms, max admissions this tick, max skips this
    // tick, keep until ms. Stale positions are passed no faster than Abandonment allows for: waiters behind them get to answer.
    private const string AdmitScript = """
        local now = tonumber(ARGV[1])
        local interval = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
        local nextAt = tonumber(redis.call('GET', KEYS[7]) or '0')
        -- No credit piles up while nobody waits or slots are full: admissions stay evenly spaced, never a burst.
        if nextAt < now - tonumber(ARGV[3]) then nextAt = now end
        local serving = tonumber(redis.call('GET', KEYS[2]) or '0')
        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        local active = redis.call('ZCARD', KEYS[6])
        local admitted, skipped, steps = 0, 0, 0
        local waited = {}
        while serving < last and nextAt <= now and active < tonumber(ARGV[4]) and admitted < tonumber(ARGV[7]) and steps < 5000 do
            local seen = tonumber(redis.call('HGET', KEYS[3], serving + 1) or '0')
            local stale = seen < tonumber(ARGV[5]) or redis.call('SISMEMBER', KEYS[9], serving + 1) == 1
            if stale and skipped >= tonumber(ARGV[8]) then break end
            steps = steps + 1
            serving = serving + 1
            if stale then
                redis.call('SADD', KEYS[5], serving)
                skipped = skipped + 1
            else
                redis.call('HSET', KEYS[4], serving, now)
                redis.call('ZADD', KEYS[6], now + tonumber(ARGV[6]), serving)
                table.insert(waited, serving)
                table.insert(waited, tonumber(redis.call('HGET', KEYS[8], serving) or now))
                active = active + 1
                admitted = admitted + 1
                nextAt = nextAt + interval
            end
        end
        redis.call('SET', KEYS[2], serving)
        redis.call('SET', KEYS[7], nextAt)
        for _, i in ipairs({2, 4, 5, 6, 7}) do redis.call('PEXPIREAT', KEYS[i], ARGV[9]) end
        return {admitted, skipped, active, unpack(waited)}
        """;

    public async Task<Tick> AdmitAsync(Sale sale, DateTimeOffset now, double admissionsPerMinute, TimeSpan catchUp, DateTimeOffset staleBefore, int maxPerTick,
        int maxSkipsPerTick)
    {
        var keys = new SaleKeys(sale.Id);
        var interval = 60_000.0 / Math.Max(admissionsPerMinute, 0.001);
        var result = (long[])(await Db.ScriptEvaluateAsync(AdmitScript,
            [keys.Counter, keys.Serving, keys.Seen, keys.Admitted, keys.Skipped, keys.Active, keys.Next, keys.Joined, keys.Ended],
            [now.ToUnixTimeMilliseconds(), interval, Math.Max(interval, catchUp.TotalMilliseconds), sale.MaxActiveShoppers,
             staleBefore.ToUnixTimeMilliseconds(), sale.SessionMinutes * 60_000L, maxPerTick, maxSkipsPerTick, KeepUntilMs(sale)]))!;
        var admissions = result[3..].Chunk(2).Select(pair => new Admission(pair[0], pair[1])).ToList();
        return new Tick((int)result[0], (int)result[1], admissions, now.ToUnixTimeMilliseconds(), (int)result[2]);
    }

    public async Task<Counts> CountsAsync(Sale sale, DateTimeOffset now)
    {
        var keys = new SaleKeys(sale.Id);
        var batch = Db.CreateBatch();
        var values = batch.StringGetAsync([keys.Counter, keys.Serving, keys.DrawDone]);
        var admitted = batch.HashLengthAsync(keys.Admitted);
        var skipped = batch.SetLengthAsync(keys.Skipped);
        var active = batch.SortedSetLengthAsync(keys.Active, now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);
        var preQueued = batch.SetLengthAsync(keys.PreQueue);
        batch.Execute();
        var v = await values;
        var (last, serving, drawn) = ((long?)v[0] ?? 0, (long?)v[1] ?? 0, v[2].HasValue);
        var undrawn = drawn ? 0 : await preQueued;
        return new Counts(last + undrawn, last - serving + undrawn, await admitted, await active, await skipped);
    }

    // KEYS: ended, active. ARGV: position, keep until ms. One script, so the admission tick sees a position either still
    // waiting (and skips it: it has ended) or admitted and then freed, never a leaver admitted after it left.
    private const string EndScript = """
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('PEXPIREAT', KEYS[1], ARGV[2])
        return redis.call('ZREM', KEYS[2], ARGV[1])
        """;

    /// <summary>
    /// A shopper left, or ordered its admission's last order: the position's session is over for good. An admitted
    /// position frees its slot for the next in line (once: ending again frees nothing); a waiting one is skipped when its turn comes.
    /// </summary>
    public async Task EndSessionAsync(Sale sale, long position)
    {
        var keys = new SaleKeys(sale.Id);
        await Db.ScriptEvaluateAsync(EndScript, [keys.Ended, keys.Active], [position, KeepUntilMs(sale)]);
    }

    // KEYS: leader. ARGV: me, ttl ms. Takes the lease when free, renews it when already ours.
    private const string LeadScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == false or holder == ARGV[1] then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1
        end
        return 0
        """;

    public async Task<bool> TryLeadAsync(string me, TimeSpan lease) =>
        (long)(await Db.ScriptEvaluateAsync(LeadScript, [LeaderKey], [me, (long)lease.TotalMilliseconds])) == 1;

    public Task SetHealthAsync(double factor, long backlog, double lagSeconds) =>
        Db.HashSetAsync(HealthKey, [new("factor", factor), new("backlog", backlog), new("lagSeconds", lagSeconds)]);

    public async Task<double> RateFactorAsync() => (double?)await Db.HashGetAsync(HealthKey, "factor") ?? 1.0;

    /// <summary>A sale ended early by staff: its keys go <see cref="KeptAfterEnd"/> from now rather than after its planned end.</summary>
    public async Task ForgetSaleAsync(string saleId, DateTimeOffset endedAt)
    {
        var batch = Db.CreateBatch();
        var expiries = new SaleKeys(saleId).All.Select(key => batch.KeyExpireAsync(key, (endedAt + KeptAfterEnd).UtcDateTime)).ToList();
        batch.Execute();
        await Task.WhenAll(expiries);
    }

    /// <summary>Key names of one sale; the braces keep a sale's keys on one node should Redis ever be clustered.</summary>
    private sealed record SaleKeys(string SaleId)
    {
        private string Prefix => WaitingRoomKeys.SalePrefix(SaleId);
        public RedisKey Counter => Prefix + "counter";
        public RedisKey Serving => Prefix + "serving";
        public RedisKey Joined => Prefix + "joined";
        public RedisKey Seen => Prefix + "seen";
        public RedisKey Admitted => Prefix + "admitted";
        public RedisKey Skipped => Prefix + "skipped";
        public RedisKey Active => Prefix + "active";
        public RedisKey Next => Prefix + "next";
        public RedisKey PreQueue => Prefix + "prequeue";
        public RedisKey Drawn => Prefix + "drawn";
        public RedisKey DrawDone => Prefix + "drawn-flag";
        public RedisKey Ended => WaitingRoomKeys.Ended(SaleId);
        public RedisKey Ramp => Prefix + "ramp";
        public RedisKey[] All => [Counter, Serving, Joined, Seen, Admitted, Skipped, Active, Next, PreQueue, Drawn, DrawDone, Ended, Ramp];
    }
}
