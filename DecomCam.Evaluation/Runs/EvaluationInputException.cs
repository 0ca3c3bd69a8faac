namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// Raised when an evaluation's inputs cannot be used: an image folder that is missing or holds no images, images or masks
/// of different sizes, or evaluation shards that are missing, repeated or of different runs. The message names the problem.
/// </summary>
public class EvaluationInputException : Exception
{
    /// <summary>Creates the exception with a message that names the problem.</summary>
    public EvaluationInputException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public EvaluationInputException(string message, Exception inner) : base(message, inner) { }
}
