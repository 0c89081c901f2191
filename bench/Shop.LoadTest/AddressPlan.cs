namespace Shop.LoadTest;

/// <summary>
/// Which client address each shopper comes from, the way a sale's crowd arrives: most shoppers alone on their address
/// (a home line, a phone with its own IPv6 address), some behind one shared IPv4 address — a household's router, an
/// office's or a campus's gateway, a mobile carrier's NAT. The shares are <see cref="Shares"/>; shoppers are dealt to
/// addresses in a shuffled (seeded) order, so the members of a group arrive spread over the arrival window, as
/// strangers behind one carrier address do. No address carries more than 1 % of the crowd (at least 2): a carrier
/// address is shared by thousands of subscribers, of whom a crowd of 2,000 holds a handful and one of 20,000 more.
/// </summary>
public sealed class AddressPlan
{
    /// <summary>Share of all shoppers, and the smallest and largest group of that kind.</summary>
    public static readonly IReadOnlyList<(string Kind, double Share, int Min, int Max)> Shares =
    [
        ("alone", 0.75, 1, 1),
        ("household", 0.15, 2, 4),
        ("office", 0.07, 5, 50),
        ("carrier NAT", 0.03, 51, 150),
    ];

    private readonly int[] addressOf;

    private AddressPlan(int[] addressOf, int addresses)
    {
        this.addressOf = addressOf;
        Addresses = addresses;
    }

    public int Addresses { get; }

    public int Shoppers => addressOf.Length;

    /// <summary>The address index (0..<see cref="Addresses"/>-1) shopper <paramref name="shopper"/> comes from.</summary>
    public int AddressOf(int shopper) => addressOf[shopper];

    /// <summary>Shoppers per address, largest first.</summary>
    public IReadOnlyList<int> GroupSizes() => [.. addressOf.GroupBy(a => a).Select(g => g.Count()).OrderDescending()];

    /// <param name="perAddress">Every address shared by this many shoppers (consecutive ones); 0: the crowd of <see cref="Shares"/>.</param>
    public static AddressPlan Of(int shoppers, int perAddress, int seed = 16)
    {
        var addressOf = new int[shoppers];
        if (perAddress > 0)
        {
            for (var i = 0; i < shoppers; i++)
            {
                addressOf[i] = i / perAddress;
            }
            return new AddressPlan(addressOf, (shoppers + perAddress - 1) / perAddress);
        }

        var largest = Math.Max(2, shoppers / 100);
        var random = new Random(seed);
        var order = Enumerable.Range(0, shoppers).ToArray();
        random.Shuffle(order);
        int next = 0, address = 0;
        for (var kind = 0; kind < Shares.Count; kind++)
        {
            var (_, share, fewest, most) = Shares[kind];
            var (min, max) = (Math.Min(fewest, largest), Math.Min(most, largest));
            // The last kind takes whatever rounding left, so every shopper has an address.
            var end = kind == Shares.Count - 1 ? shoppers : Math.Min(shoppers, next + (int)Math.Round(shoppers * share));
            while (next < end)
            {
                var size = Math.Min(random.Next(min, max + 1), end - next);
                for (var i = 0; i < size; i++)
                {
                    addressOf[order[next++]] = address;
                }
                address++;
            }
        }
        return new AddressPlan(addressOf, address);
    }

    /// <summary>
    /// The most joins any one address makes within one fixed window of <paramref name="windowSeconds"/> (as the
    /// shop counts them), when shopper i arrives at <c>arrivalSeconds × i / shoppers</c> and joins once.
    /// </summary>
    public int MostJoinsPerWindow(double arrivalSeconds, double windowSeconds, double offsetSeconds = 0)
    {
        var counts = new Dictionary<(int Address, long Window), int>();
        var most = 0;
        for (var i = 0; i < addressOf.Length; i++)
        {
            var at = offsetSeconds + (addressOf.Length == 1 ? 0 : arrivalSeconds * i / addressOf.Length);
            var key = (addressOf[i], (long)Math.Floor(at / windowSeconds));
            var count = counts[key] = counts.GetValueOrDefault(key) + 1;
            most = Math.Max(most, count);
        }
        return most;
    }
}
