using Npgsql;
using Shop.Reporting.Replication;

namespace Shop.UnitTests.Reporting;

/// <summary>How a report treats the replica's failures: a replay conflict is run again, a lost replica is a 503, a bug stays a bug.</summary>
public sealed class ReplicaConflictTests
{
    private static PostgresException RecoveryConflict() =>
        new("canceling statement due to conflict with recovery", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);

    [Fact]
    public async Task A_query_cancelled_by_replay_runs_again_and_the_report_is_shown()
    {
        var calls = 0;
        var rows = await ReplicaUnavailableException.OnReplicaAsync(() =>
            ++calls < 3 ? throw RecoveryConflict() : Task.FromResult(42));

        Assert.Equal(42, rows);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task A_replica_that_keeps_cancelling_is_reported_unavailable_after_three_tries()
    {
        var calls = 0;
        var failure = await Assert.ThrowsAsync<ReplicaUnavailableException>(() =>
            ReplicaUnavailableException.OnReplicaAsync<int>(() => { calls++; throw RecoveryConflict(); }));

        Assert.Equal(3, calls);
        Assert.IsType<PostgresException>(failure.InnerException);
    }

    [Fact]
    public async Task A_wrong_query_is_not_retried_or_disguised_as_an_unavailable_replica()
    {
        var calls = 0;
        await Assert.ThrowsAsync<PostgresException>(() => ReplicaUnavailableException.OnReplicaAsync<int>(() =>
        {
            calls++;
            throw new PostgresException("column \"nope\" does not exist", "ERROR", "ERROR", PostgresErrorCodes.UndefinedColumn);
        }));

        Assert.Equal(1, calls);
    }
}
