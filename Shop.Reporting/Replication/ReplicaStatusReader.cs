using Npgsql;

namespace Shop.Reporting.Replication;

public sealed record ReplicaStatus(bool IsStandby, TimeSpan? Lag);

/// <summary>Reads whether the reporting connection really points at a standby, and how far behind it is.</summary>
public sealed class ReplicaStatusReader(NpgsqlDataSource replica, ILogger<ReplicaStatusReader> logger)
{
    public async Task<ReplicaStatus?> TryReadAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            // Time since the last replayed transaction grows while the primary is idle; it is lag only while
            // the standby has received WAL it has not replayed yet.
            await using var command = replica.CreateCommand("""
                SELECT pg_is_in_recovery(),
                       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN interval '0'
                            ELSE now() - pg_last_xact_replay_timestamp() END
                """);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new ReplicaStatus(reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<TimeSpan>(1));
        }
        catch (NpgsqlException e)
        {
            logger.LogWarning(e, "The read replica did not answer");
            return null;
        }
    }
}
