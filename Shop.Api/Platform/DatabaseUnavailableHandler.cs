using Npgsql;
using Shop.ServiceDefaults.Endpoints;

namespace Shop.Api.Platform;

/// <summary>The primary being away (restart, failover): 503 with Retry-After, so clients and the edge come back.</summary>
public sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger)
    : DependencyUnavailableHandler(logger)
{
    public const int RetryAfterSeconds = 5;

    protected override bool IsUnavailable(Exception exception) => exception is NpgsqlException { IsTransient: true };

    protected override void Warn(ILogger logger, Exception exception, long suppressed) =>
        logger.LogWarning(exception, "The database is unavailable; answering 503 ({Suppressed} more since the last warning)", suppressed);

    protected override ValueTask<bool> AnswerAsync(HttpContext context, Exception exception, CancellationToken cancellationToken) =>
        ServiceUnavailable.WriteProblemAsync(problems, context, RetryAfterSeconds, "Temporarily unavailable",
            $"The shop's database cannot be reached right now. Nothing was changed; try again in {RetryAfterSeconds} seconds.");
}
