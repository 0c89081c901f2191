using Shop.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Shop.Web.Cart;

public sealed record CartLine(int ProductId, int Quantity);

/// <summary>What became of a cart change.</summary>
public enum CartChange
{
    Done,
    /// <summary>Added, but fewer units than asked: the line reached <see cref="CartStore.MaxQuantity"/>.</summary>
    Capped,
    /// <summary>Nothing added: the line already holds <see cref="CartStore.MaxQuantity"/> units.</summary>
    LineFull,
    /// <summary>Nothing added: the cart already holds <see cref="CartStore.MaxLines"/> other products.</summary>
    CartFull,
    /// <summary>Nothing changed: the cookie names no cart (it expired, was evicted, or the id was made up), and none was made.</summary>
    NoCart,
}

/// <summary>
/// A shopper's cart: one Redis hash per cart (product id → quantity), in the evictable store (<see cref="RedisStores.Cache"/>),
/// never in the one that holds the waiting room and the limits. Every change is one Lua script, so the caps are checked
/// against the cart as it is at that instant, however many requests change it at once (two tabs, a double click, a
/// script), and it pushes the expiry out again. A new cart lives <see cref="NewCartLifetime"/>; once a request comes back
/// with its cookie (a browser following the redirect to its cart, a second change) it lives until left alone for
/// <see cref="IdleLifetime"/>. A cart is made only by a request that may make one (<see cref="NewCartLimit"/>): a cookie
/// naming no cart never makes one under that name.
/// A slow Redis is waited for (the multiplexer's timeout); after a few failures in a row (<see cref="RedisTolerance"/>) the
/// cart pages say at once that the cart is away, instead of each waiting out the timeout, until a probe gets through.
/// </summary>
public sealed class CartStore([FromKeyedServices(RedisStores.Cache)] IConnectionMultiplexer redis)
{
    // Its own: the cart store is a server of its own, up or down apart from the one the waiting-room gate asks.
    private readonly RedisTolerance tolerance = new();

    public static readonly TimeSpan IdleLifetime = TimeSpan.FromDays(7);
    /// <summary>
    /// How long a cart lives that nobody has come back for with its cookie: a script replaying form posts without cookies
    /// leaves carts that go within the hour; a browser's cart is read through its cookie at once and gets <see cref="IdleLifetime"/>.
    /// </summary>
    public static readonly TimeSpan NewCartLifetime = TimeSpan.FromHours(1);
    public const int MaxQuantity = 10;
    public const int MaxLines = 20;

    public static string Key(string cartId) => $"cart:{cartId}";

    // KEYS: cart. ARGV: product, quantity (add: units to add; set: the new quantity, 0 removes), add?, max quantity, max lines,
    // ttl ms, create? (may make the cart), new cart's ttl ms.
    // Returns 0 done, 1 capped, 2 line full, 3 cart full, 4 no cart (the CartChange values).
    private static readonly LuaScript ChangeScript = LuaScript.Prepare("""
        local exists = redis.call('EXISTS', @cart) == 1
        if not exists and @create ~= '1' then return 4 end
        local current = tonumber(redis.call('HGET', @cart, @product) or '0')
        local quantity = tonumber(@quantity)
        local max = tonumber(@maxQuantity)
        local outcome = 0
        if @add == '1' then
            if current >= max then outcome = 2 else
                if current + quantity > max then outcome = 1 end
                quantity = math.min(max, current + quantity)
            end
        elseif quantity > max then
            quantity = max
        end
        if outcome ~= 2 and quantity > 0 and current == 0 and redis.call('HLEN', @cart) >= tonumber(@maxLines) then outcome = 3 end
        if outcome < 2 then
            if quantity > 0 then redis.call('HSET', @cart, @product, quantity) else redis.call('HDEL', @cart, @product) end
        end
        if exists then redis.call('PEXPIRE', @cart, @ttl) else redis.call('PEXPIRE', @cart, @newTtl) end
        return outcome
        """);

    // KEYS: cart. ARGV: ttl ms. A cart read through its cookie is a kept cart: it gets the full idle lifetime.
    private const string LinesScript = """
        local lines = redis.call('HGETALL', KEYS[1])
        if #lines > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return lines
        """;

    // KEYS: cart. ARGV: product ids and the quantities ordered, in pairs. Takes away what was ordered, no more.
    private const string RemoveOrderedScript = """
        for i = 1, #ARGV, 2 do
            local left = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') - tonumber(ARGV[i + 1])
            if left > 0 then redis.call('HSET', KEYS[1], ARGV[i], left) else redis.call('HDEL', KEYS[1], ARGV[i]) end
        end
        return 0
        """;

    /// <summary>The cart's lines; reading them through the cart's cookie keeps the cart for <see cref="IdleLifetime"/> from now.</summary>
    public async Task<IReadOnlyList<CartLine>> LinesAsync(string cartId)
    {
        var entries = (RedisValue[])(await tolerance.RunAsync(() => redis.GetDatabase().ScriptEvaluateAsync(LinesScript, [Key(cartId)],
            [(long)IdleLifetime.TotalMilliseconds])))!;
        return [.. entries.Chunk(2).Select(e => new CartLine((int)e[0], (int)e[1])).OrderBy(l => l.ProductId)];
    }

    public async Task<int> CountAsync(string cartId)
    {
        var quantities = await tolerance.RunAsync(() => redis.GetDatabase().HashValuesAsync(Key(cartId)));
        return quantities.Sum(q => (int)q);
    }

    /// <summary>Adds units of a product, never beyond <see cref="MaxQuantity"/> per line or <see cref="MaxLines"/> lines.</summary>
    /// <param name="create">Whether a cart may be made under this id (a new id the caller has counted); otherwise the cart must exist.</param>
    public Task<CartChange> AddAsync(string cartId, int productId, int quantity, bool create) => ChangeAsync(cartId, productId, quantity, add: true, create);

    /// <summary>Sets a line's quantity (at most <see cref="MaxQuantity"/>); zero removes it. A new line still counts against <see cref="MaxLines"/>. Never makes a cart.</summary>
    public Task<CartChange> SetAsync(string cartId, int productId, int quantity) => ChangeAsync(cartId, productId, quantity, add: false, create: false);

    private async Task<CartChange> ChangeAsync(string cartId, int productId, int quantity, bool add, bool create) =>
        (CartChange)(int)await tolerance.RunAsync(() => ChangeScript.EvaluateAsync(redis.GetDatabase(), new
        {
            cart = (RedisKey)Key(cartId),
            product = productId,
            quantity = Math.Max(0, quantity),
            add = add ? "1" : "0",
            maxQuantity = MaxQuantity,
            maxLines = MaxLines,
            ttl = (long)IdleLifetime.TotalMilliseconds,
            create = create ? "1" : "0",
            newTtl = (long)NewCartLifetime.TotalMilliseconds,
        }));

    /// <summary>
    /// After an order is placed, the ordered units leave the cart; anything added meanwhile (another tab) stays for the next order.
    /// </summary>
    public Task RemoveOrderedAsync(string cartId, IEnumerable<CartLine> ordered) =>
        tolerance.RunAsync(() => redis.GetDatabase().ScriptEvaluateAsync(RemoveOrderedScript, [Key(cartId)],
            [.. ordered.SelectMany(l => new RedisValue[] { l.ProductId, l.Quantity })]));
}
