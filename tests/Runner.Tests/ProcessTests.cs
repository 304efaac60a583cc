namespace Evals.Runner.Tests;

/// <summary>Tests that start CLI and worker processes run one at a time: the machine has two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTests
{
    public const string Name = "processes";
}
