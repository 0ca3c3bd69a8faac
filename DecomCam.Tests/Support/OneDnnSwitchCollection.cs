namespace DecomCamNet.Tests.Support;

/// <summary>
/// Tests that compare a call with oneDNN on against the same call with it off: alone, because the switch is process-wide
/// and would change the kernels of tests running beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OneDnnSwitchCollection
{
    public const string Name = "oneDNN switched on and off";
}
