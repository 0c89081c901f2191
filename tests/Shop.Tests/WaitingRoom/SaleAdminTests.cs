using System.Net;
using System.Net.Http.Json;
using Shop.Tests.Infrastructure;

namespace Shop.Tests.WaitingRoom;

/// <summary>Staff changes to sales that arrive at the same moment.</summary>
[Collection(ShopCollection.Name)]
public sealed class SaleAdminTests(ShopFixture fixture)
{
    private readonly SaleTraffic sales = new(fixture.Shop);

    [Fact]
    public async Task Concurrent_puts_of_a_new_sale_create_it_once_and_change_it_otherwise()
    {
        var saleId = SaleTraffic.NewSaleId();
        using var admin = await sales.AdminAsync();
        await using var sale = sales.Ending(saleId);
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await admin.PutAsJsonAsync($"/api/admin/sales/{saleId}", SaleTraffic.Sale(startsAt: DateTimeOffset.UtcNow.AddMinutes(30)));
            return response.StatusCode;
        }));

        Assert.Equal(1, answers.Count(a => a == HttpStatusCode.Created));
        Assert.Equal(11, answers.Count(a => a == HttpStatusCode.OK));
    }

    [Fact]
    public async Task A_sale_sent_with_local_time_offsets_is_stored_as_the_same_instants()
    {
        var saleId = SaleTraffic.NewSaleId();
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.AddHours(2).DateTime.Date.AddHours(20), TimeSpan.FromHours(1));
        using var admin = await sales.AdminAsync();
        await using var sale = sales.Ending(saleId);
        using var response = await admin.PutAsJsonAsync($"/api/admin/sales/{saleId}", new
        {
            name = "Local time", startsAt = start, endsAt = start.AddHours(3), admissionsPerMinute = 60, maxActiveShoppers = 10,
            sessionMinutes = 10, queueMode = "Fifo", whenRedisDown = "Closed",
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await using var db = Npgsql.NpgsqlDataSource.Create(await fixture.Shop.ConnectionStringAsync("postgres"));
        await using var select = db.CreateCommand("SELECT starts_at FROM sales WHERE id = $1");
        select.Parameters.Add(new Npgsql.NpgsqlParameter { Value = saleId });
        Assert.Equal(start.UtcDateTime, ((DateTime)(await select.ExecuteScalarAsync())!).ToUniversalTime());
    }

    [Fact]
    public async Task A_sale_that_ends_within_a_second_of_its_start_is_a_400_not_a_500()
    {
        var saleId = SaleTraffic.NewSaleId();
        var start = DateTimeOffset.UtcNow.AddMinutes(30);
        using var admin = await sales.AdminAsync();
        using var response = await admin.PutAsJsonAsync($"/api/admin/sales/{saleId}", new
        {
            name = "Blink", startsAt = start, endsAt = start.AddTicks(1), admissionsPerMinute = 60, maxActiveShoppers = 10,
            sessionMinutes = 10, queueMode = "Fifo", whenRedisDown = "Closed",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("endsAt", await response.Content.ReadAsStringAsync());
    }
}
