namespace Evals.Storage;

/// <summary>
/// Where the database is: <c>ConnectionStrings:Evals</c> when set; otherwise the embedded cluster under
/// <see cref="DataDirectory"/> (<c>Evals:DataDirectory</c>, default <c>.data</c> in the working directory).
/// </summary>
public sealed class DatabaseOptions
{
    public string? ConnectionString { get; set; }
    public string DataDirectory { get; set; } = ".data";
    public int EmbeddedPort { get; set; } = 55432;
}
