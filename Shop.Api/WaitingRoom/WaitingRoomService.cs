using Shop.ServiceDefaults.Redis;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shop.Data;
using Shop.Data.Sales;
using Shop.Messaging;
using StackExchange.Redis;

namespace Shop.Api.WaitingRoom;

/// <summary>Joins and status answers: where a ticket stands, and the admission once its turn has come.</summary>
public sealed class WaitingRoomService(
    SaleDirectory sales, WaitingRoomStore store, QueueView view, WaitingRoomPasses passes, WaitingRoomMetrics metrics,
    IOptions<WaitingRoomOptions> options, TimeProvider clock)
{
    public abstract record JoinOutcome;
    public sealed record InLine(WaitingRoomStatus Status) : JoinOutcome;
    public sealed record TooManyJoins(TimeSpan RetryAfter) : JoinOutcome;

    /// <summary>Redis counts as down when the multiplexer is disconnected or this instance's last refresh failed.</summary>
    public bool RedisDown => !store.IsConnected || !view.RedisAvailable;

    /// <summary>Whether store pages and orders need an admission right now.</summary>
    public Sale? EnforcedSale()
    {
        var live = sales.Live();
        return live is null || (RedisDown && live.WhenRedisDown == RedisDownPolicies.Open) ? null : live;
    }

    public CurrentSale Current()
    {
        var now = clock.GetUtcNow();
        var sale = sales.Current(now);
        return sale is null
            ? new CurrentSale(null, null, "None", null, null, null, false, null, null, false)
            : new CurrentSale(sale.Id, sale.Name, sale.IsLive(now) ? "Live" : "Upcoming", sale.QueueMode, sale.StartsAt, sale.EndsAt,
                EnforcedSale() is not null, sale.AdmissionsPerMinute, sale.MaxActiveShoppers, sale.Paused);
    }

    public async Task<JoinOutcome> JoinAsync(string? ticketPass, string clientIp)
    {
        var now = clock.GetUtcNow();
        var sale = sales.Current(now);
        if (sale is null || (RedisDown && sale.WhenRedisDown == RedisDownPolicies.Open))
        {
            return new InLine(Open(sale));
        }
        if (RedisDown)
        {
            throw new WaitingRoomUnavailableException("the waiting room's store (Redis) is unavailable");
        }
        try
        {
            // Joining again (a reload, a second tab) keeps the place as long as the ticket still has one.
            if (passes.TryReadTicket(ticketPass, out var held) && held.SaleId == sale.Id
                && await StatusAsync(sale, held, now, ticketPass) is { State: not WaitingStates.Expired } kept)
            {
                return new InLine(kept);
            }

            var ticketId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var beforeStart = now < sale.StartsAt;
            var joined = await store.JoinAsync(sale, ticketId, clientIp, beforeStart, now, options.Value.JoinLimitWindow, options.Value.JoinLimit);
            if (joined is WaitingRoomStore.DrawPending)
            {
                await store.DrawAsync(sale, now);
                joined = await store.JoinAsync(sale, ticketId, clientIp, beforeStart, now, options.Value.JoinLimitWindow, int.MaxValue);
            }
            switch (joined)
            {
                case WaitingRoomStore.Limited limited:
                    return new TooManyJoins(limited.RetryAfter);
                case WaitingRoomStore.Joined { Position: var position }:
                    metrics.Joined(sale.Id);
                    return new InLine(await JoinedAsync(sale, new QueueTicket(sale.Id, ticketId, position, now), now));
                default:
                    metrics.Joined(sale.Id);
                    return new InLine(await JoinedAsync(sale, new QueueTicket(sale.Id, ticketId, 0, now), now));
            }
        }
        catch (Exception e) when (RedisFailure.Is(e) || e is TaskCanceledException)
        {
            throw new WaitingRoomUnavailableException("the waiting room's store (Redis) did not answer");
        }
    }

    private async Task<WaitingRoomStatus> JoinedAsync(Sale sale, QueueTicket ticket, DateTimeOffset now) =>
        await StatusAsync(sale, ticket, now) with { ServingAtJoin = (await view.SnapshotAsync(sale)).Serving };

    /// <summary>The sale's queue as every waiter sees it, from this instance's view (memory); null for a sale that is not open or coming.</summary>
    public async Task<QueueState?> QueueAsync(string saleId)
    {
        var now = clock.GetUtcNow();
        if (sales.All.FirstOrDefault(s => s.Id == saleId) is not { } sale)
        {
            return null;
        }
        var open = RedisDown && sale.WhenRedisDown == RedisDownPolicies.Open;
        WaitingRoomStore.Snapshot snapshot;
        try
        {
            snapshot = await view.SnapshotAsync(sale);
        }
        catch (Exception e) when (RedisFailure.Is(e) || e is TaskCanceledException)
        {
            if (!open)
            {
                throw new WaitingRoomUnavailableException("the waiting room's store (Redis) did not answer");
            }
            snapshot = new WaitingRoomStore.Snapshot(0, 0, false, 1.0);
        }
        return new QueueState(sale.Id, sale.IsLive(now) ? "Live" : "Upcoming", open, snapshot.Serving, snapshot.LastPosition,
            sale.Paused ? 0 : sale.AdmissionsPerMinute * snapshot.RateFactor, sale.Paused,
            sale.QueueMode != SaleQueueModes.PreQueueLottery || snapshot.Drawn, sale.StartsAt, now,
            Abandonment.HeartbeatWithin(sale), Abandonment.HeartbeatSeconds(sale));
    }

    public static string QueueUrl(string saleId) => $"/api/waitingroom/sales/{Uri.EscapeDataString(saleId)}/queue";

    /// <returns>Null when the pass is not a ticket for the current sale (the shopper has to join first).</returns>
    public async Task<WaitingRoomStatus?> StatusAsync(string? ticketPass)
    {
        var now = clock.GetUtcNow();
        var sale = sales.Current(now);
        if (sale is null || (RedisDown && sale.WhenRedisDown == RedisDownPolicies.Open))
        {
            return Open(sale);
        }
        if (!passes.TryReadTicket(ticketPass, out var ticket) || ticket.SaleId != sale.Id)
        {
            return null;
        }
        try
        {
            return await StatusAsync(sale, ticket, now, ticketPass);
        }
        catch (Exception e) when (RedisFailure.Is(e) || e is TaskCanceledException)
        {
            throw new WaitingRoomUnavailableException("the waiting room's store (Redis) did not answer");
        }
    }

    /// <summary>
    /// Ends the ticket's session for good. Postgres first, where orders look: from then on the admission (if it has
    /// one, or gets one meanwhile) takes no order, with or without Redis; then Redis frees the slot for the next in line.
    /// </summary>
    public async Task LeaveAsync(string? ticketPass, ShopDbContext db, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (sales.Current(now) is not { } sale || !passes.TryReadTicket(ticketPass, out var ticket) || ticket.SaleId != sale.Id)
        {
            return;
        }
        // Recorded before the queue hears of it, whatever the ticket's place: a lottery ticket leaving before the draw is
        // spent too, and an order never needs Redis to see it.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO ended_admissions (sale_id, admission_ticket, ended_at) VALUES ({sale.Id}, {ticket.TicketId}, {now})
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        var position = ticket.Position != 0 ? ticket.Position : await store.DrawnPositionAsync(sale, ticket.TicketId);
        if (position is { } drawn and > 0)
        {
            await store.EndSessionAsync(sale, drawn);
        }
    }

    /// <param name="signed">The pass the shopper presented for <paramref name="ticket"/>, handed back as it is while the ticket
    /// does not change: signing the same claims again would give the same string, at the cost of an HMAC and JSON per poll.</param>
    private async Task<WaitingRoomStatus> StatusAsync(Sale sale, QueueTicket ticket, DateTimeOffset now, string? signed = null)
    {
        var snapshot = await view.SnapshotAsync(sale);
        if (ticket.Position == 0)
        {
            if (!snapshot.Drawn || await store.DrawnPositionAsync(sale, ticket.TicketId) is not { } drawn)
            {
                return Waiting(sale, ticket, signed, null, null, UntilStart(sale, now));
            }
            ticket = ticket with { Position = drawn };
            signed = null;
        }

        view.NoteSeen(sale.Id, ticket.Position);
        if (ticket.Position > snapshot.Serving || !sale.IsLive(now))
        {
            var ahead = Math.Max(0, ticket.Position - snapshot.Serving - 1);
            var rate = sale.AdmissionsPerMinute * snapshot.RateFactor;
            int? eta = sale.Paused || rate <= 0 ? null : (int)Math.Ceiling(ahead * 60 / rate) + UntilStart(sale, now);
            return Waiting(sale, ticket, signed, ahead, eta, null);
        }

        var turn = await view.TurnAsync(sale, ticket.Position);
        if (turn.AdmittedAtMs is not { } admittedAtMs)
        {
            return turn.Skipped || turn.Ended ? Status(WaitingStates.Expired, sale, ticket, signed) : Waiting(sale, ticket, signed, 0, 0, null);
        }
        var until = DateTimeOffset.FromUnixTimeMilliseconds(admittedAtMs).AddMinutes(sale.SessionMinutes);
        if (until <= now || turn.Ended)
        {
            return Status(WaitingStates.Expired, sale, ticket, signed);
        }
        var admission = passes.Sign(new AdmissionClaims(sale.Id, ticket.TicketId, ticket.Position, until));
        return Status(WaitingStates.Admitted, sale, ticket, signed) with { AdmissionToken = admission, AdmittedUntil = until };
    }

    private static int UntilStart(Sale sale, DateTimeOffset now) => (int)Math.Max(0, Math.Ceiling((sale.StartsAt - now).TotalSeconds));

    private WaitingRoomStatus Waiting(Sale sale, QueueTicket ticket, string? signed, long? ahead, int? eta, int? untilDraw) =>
        Status(WaitingStates.Waiting, sale, ticket, signed) with { Ahead = ahead, EtaSeconds = eta ?? untilDraw };

    private WaitingRoomStatus Status(string state, Sale sale, QueueTicket ticket, string? signed) => new(
        state, ticket.Position == 0 ? null : ticket.Position, null, null, signed ?? passes.Sign(ticket), null, null,
        sale.Id, sale.Name, sale.QueueMode, sale.StartsAt, sale.Paused, QueueUrl(sale.Id));

    private static WaitingRoomStatus Open(Sale? sale) =>
        new(WaitingStates.Open, null, null, null, null, null, null, sale?.Id, sale?.Name, sale?.QueueMode, sale?.StartsAt, sale?.Paused ?? false);
}
