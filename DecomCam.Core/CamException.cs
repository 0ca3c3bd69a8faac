namespace DecomCamNet;

/// <summary>
/// Raised when an explanation cannot be computed for a reason that lies in the model, the chosen layer or the input
/// (for example: the layer never ran, no gradient reaches it, or the model produced NaN). The message names the problem.
/// </summary>
public class CamException : Exception
{
    /// <summary>Creates the exception with a message that names the problem.</summary>
    public CamException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public CamException(string message, Exception inner) : base(message, inner) { }
}
