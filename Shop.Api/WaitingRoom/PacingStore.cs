using System.Text.Json;
using StackExchange.Redis;

namespace Shop.Api.WaitingRoom;

/// <summary>The admission leader's last pacing decision in Redis, for the sale's stats on any instance and for the next leader.</summary>
public sealed class PacingStore(IConnectionMultiplexer redis)
{
    private static readonly RedisKey Key = "wr:pacing";

    public Task SaveAsync(PacingState state) =>
        redis.GetDatabase().StringSetAsync(Key, JsonSerializer.Serialize(state, JsonSerializerOptions.Web));

    public async Task<PacingState?> ReadAsync()
    {
        var json = await redis.GetDatabase().StringGetAsync(Key);
        try
        {
            return json.HasValue ? JsonSerializer.Deserialize<PacingState>((string)json!, JsonSerializerOptions.Web) : null;
        }
        catch (JsonException)
        {
            return null; // written by another version; the leader's next check replaces it
        }
    }
}
