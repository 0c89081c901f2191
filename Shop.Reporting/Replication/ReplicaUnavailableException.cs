using Npgsql;

namespace Shop.Reporting.Replication;

/// <summary>A report query could not reach the read replica (stopped, restarting, connection lost): nothing is wrong with the report.</summary>
public sealed class ReplicaUnavailableException(Exception inner) : Exception("The read replica is unavailable.", inner)
{
    /// <summary>Runs a report query; a failure to reach the replica becomes a <see cref="ReplicaUnavailableException"/>, anything else stays what it is.</summary>
    public static async Task<T> OnReplicaAsync<T>(Func<Task<T>> query)
    {
        try
        {
            return await query();
        }
        catch (NpgsqlException e) when (e.IsTransient)
        {
            throw new ReplicaUnavailableException(e);
        }
    }
}
