using Shop.LoadTest;

namespace Shop.Bench.Mix;

/// <summary>
/// <c>./shop loadtest</c> without <c>--target</c>: boots a shop of its own (.data/loadtest, every port moved by 4000,
/// PgBouncer in front of the primary) and runs the load test against its edge.
/// </summary>
public static class LoadTestShop
{
    private const int PortOffset = 4000;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken token)
    {
        Console.WriteLine("Booting a shop for the load test (Local mode, .data/loadtest, PgBouncer on) ...");
        await using var shop = await BenchShop.StartAsync(
            Path.Combine(Repository.Root, ".data", "loadtest"), PortOffset, [.. LoadTestSettings], token);
        LoadTestOptions options;
        try
        {
            options = LoadTestOptions.Parse(
            [
                "--target", shop.EdgeUrl,
                "--admin-key", await shop.ParameterAsync("admin-key", token),
                "--report", Path.Combine(Repository.Root, "artifacts", "loadtest", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss")),
                .. args,
            ]);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(LoadTestOptions.Usage);
            return 2;
        }
        return await LoadTestCommand.RunAsync(options, Console.Out, token);
    }

    public static IEnumerable<string> LoadTestSettings => ["Shop:Database:PgBouncer=true"];
}
