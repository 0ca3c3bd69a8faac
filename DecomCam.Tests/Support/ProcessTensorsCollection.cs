namespace DecomCamNet.Tests.Support;

/// <summary>
/// Tests that count the tensors alive in the whole process (every thread's, not only the test's): alone, because a test
/// running beside them would create and free tensors of its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTensorsCollection
{
    public const string Name = "process-wide tensor counts";
}
