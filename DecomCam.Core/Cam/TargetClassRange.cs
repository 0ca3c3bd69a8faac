namespace DecomCamNet.Cam;

/// <summary>
/// The one check of a target class against a classifier's output width, shared by the targets (<see cref="CamTarget"/>)
/// and the evaluation metrics, so that each names the bad class, the number of outputs and the valid range alike.
/// </summary>
public static class TargetClassRange
{
    /// <summary>Throws unless 0 ≤ <paramref name="classIndex"/> &lt; <paramref name="outputs"/>, the model's number of outputs K.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The class is outside 0..K-1; the parameter name is <paramref name="parameterName"/>.</exception>
    public static void Check(long classIndex, long outputs, string parameterName)
    {
        if (classIndex < 0 || classIndex >= outputs)
            throw new ArgumentOutOfRangeException(parameterName, $"Target class {classIndex} is out of range: the model has {outputs} outputs (valid 0..{outputs - 1}).");
    }
}
