namespace DecomCamNet.ExplainService.Tests;

/// <summary>Tests that seed torch's process-wide generator (the soak's seeded models): alone, so no other test draws from it meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeededTorchCollection
{
    public const string Name = "seeds torch's global generator";
}
