using Npgsql;

namespace Shop.Reporting.Replication;

/// <summary>A report query could not reach the read replica (stopped, restarting, connection lost): nothing is wrong with the report.</summary>
public sealed class ReplicaUnavailableException(Exception inner) : Exception("The read replica is unavailable.", inner)
{
    /// <summary>Runs a report query; a failure to reach the replica becomes a <see cref="ReplicaUnavailableException"/>, anything else stays what it is.</summary>
    public static async Task<T> OnReplicaAsync<T>(Func<Task<T>> query)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await query();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SerializationFailure && attempt < ConflictAttempts)
            {
                // "Conflict with recovery": the standby cancelled the query to replay WAL it had held back (after a
                // pause or a burst). Reports only read, so running it again on the replayed data is safe.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
            }
            catch (NpgsqlException e) when (e.IsTransient)
            {
                throw new ReplicaUnavailableException(e);
            }
        }
    }

    private const int ConflictAttempts = 3;
}
