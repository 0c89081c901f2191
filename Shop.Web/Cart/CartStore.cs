using StackExchange.Redis;

namespace Shop.Web.Cart;

public sealed record CartLine(int ProductId, int Quantity);

/// <summary>
/// A shopper's cart: one Redis hash per cart (product id → quantity). Every change pushes the expiry out again,
/// so a cart lives until it has been left alone for <see cref="IdleLifetime"/>.
/// </summary>
public sealed class CartStore(IConnectionMultiplexer redis)
{
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromDays(7);
    public const int MaxQuantity = 10;
    public const int MaxLines = 20;

    public static string Key(string cartId) => $"cart:{cartId}";

    public async Task<IReadOnlyList<CartLine>> LinesAsync(string cartId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(Key(cartId));
        return [.. entries.Select(e => new CartLine((int)e.Name, (int)e.Value)).OrderBy(l => l.ProductId)];
    }

    public async Task<int> CountAsync(string cartId)
    {
        var quantities = await redis.GetDatabase().HashValuesAsync(Key(cartId));
        return quantities.Sum(q => (int)q);
    }

    /// <summary>Adds units of a product, never beyond <see cref="MaxQuantity"/> per line or <see cref="MaxLines"/> lines.</summary>
    public async Task AddAsync(string cartId, int productId, int quantity)
    {
        var db = redis.GetDatabase();
        var lines = await db.HashLengthAsync(Key(cartId));
        var current = (int?)await db.HashGetAsync(Key(cartId), productId) ?? 0;
        if (current == 0 && lines >= MaxLines)
        {
            return;
        }
        await SetAsync(cartId, productId, Math.Min(MaxQuantity, current + quantity));
    }

    /// <summary>Sets a line's quantity; zero removes it.</summary>
    public async Task SetAsync(string cartId, int productId, int quantity)
    {
        var db = redis.GetDatabase();
        if (quantity <= 0)
        {
            await db.HashDeleteAsync(Key(cartId), productId);
        }
        else
        {
            await db.HashSetAsync(Key(cartId), productId, Math.Min(MaxQuantity, quantity));
        }
        await db.KeyExpireAsync(Key(cartId), IdleLifetime);
    }

    /// <summary>After an order is placed: the cart's contents are now the order's.</summary>
    public Task ClearAsync(string cartId) => redis.GetDatabase().KeyDeleteAsync(Key(cartId));
}
