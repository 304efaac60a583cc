namespace Evals.TestKit;

/// <summary>A fresh migrated database per test class (<c>IClassFixture&lt;DatabaseFixture&gt;</c>).</summary>
public sealed class DatabaseFixture : Xunit.IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";
    public PostgresCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await PostgresCluster.SharedAsync();
        ConnectionString = await Cluster.CreateDatabaseAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
