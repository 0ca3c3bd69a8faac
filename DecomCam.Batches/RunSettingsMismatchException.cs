namespace DecomCamNet.Batches;

/// <summary>
/// A run was resumed with settings other than those its plan recorded (<see cref="RunSettings"/>): continuing would mix
/// two runs' rows in one manifest. The message names each difference.
/// </summary>
public sealed class RunSettingsMismatchException : InvalidOperationException
{
    /// <summary>A mismatch of the run behind <paramref name="manifest"/>.</summary>
    /// <param name="manifest">The manifest the run would have appended to.</param>
    /// <param name="differences">Each difference, as <see cref="RunSettings.Differences"/> words it.</param>
    public RunSettingsMismatchException(string manifest, IReadOnlyList<string> differences)
        : base($"'{manifest}' was written with other settings; resume it with the recorded ones, or choose another output folder. " +
            $"Differences: {string.Join("; ", differences)}.")
    {
        Differences = differences;
    }

    /// <summary>Each difference, as <see cref="RunSettings.Differences"/> words it.</summary>
    public IReadOnlyList<string> Differences { get; }
}
