namespace DecomCamNet.Tests.Support;

/// <summary>
/// Tests that seed torch's process-wide random generator and compare what it draws (weight initialisation) across two
/// runs: alone, because a random draw by any test running beside them would shift the sequence.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "torch's global random generator";
}
