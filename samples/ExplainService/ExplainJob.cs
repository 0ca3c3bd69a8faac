using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.ExplainService;

/// <summary>What a request's answer carries: the overlay PNG or the map as <c>.npy</c>.</summary>
public enum ExplainFormat
{
    /// <summary>The map blended over the (resized, cropped) image, as PNG.</summary>
    OverlayPng,

    /// <summary>The map [H,W] as float32 <c>.npy</c> bytes.</summary>
    MapNpy,
}

/// <summary>A checked request, ready for a worker: nothing in it is left to validate except what only running the model can show.</summary>
/// <param name="Model">The model to explain.</param>
/// <param name="Method">The method's name, as <see cref="CamMethods.Names"/> lists it.</param>
/// <param name="Layer">The layer (one of the model's).</param>
/// <param name="Target">A class (or, for CLIP, a prompt index); null: the top class (the zero-shot choice).</param>
/// <param name="Prompts">CLIP's prompts; null for a classifier.</param>
/// <param name="Picture">The image, resized and cropped for the model; the job owns it.</param>
/// <param name="Format">What to answer with.</param>
public sealed record ExplainJob(ServedModel Model, string Method, string Layer, int? Target, IReadOnlyList<string>? Prompts,
    Image<Rgb24> Picture, ExplainFormat Format)
{
    /// <summary>Completed by the worker with the answer.</summary>
    internal TaskCompletionSource<ExplainOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A worker's answer: the body and its content type, or an error with its HTTP status.</summary>
/// <param name="Status">200, or the error's status.</param>
/// <param name="Body">The PNG or <c>.npy</c> bytes; null for an error.</param>
/// <param name="ContentType">The body's media type.</param>
/// <param name="Error">The error message; null on success.</param>
public sealed record ExplainOutcome(int Status, byte[]? Body, string ContentType, string? Error)
{
    /// <summary>A successful answer.</summary>
    public static ExplainOutcome Ok(byte[] body, string contentType) => new(200, body, contentType, null);

    /// <summary>An error answer.</summary>
    public static ExplainOutcome Failed(int status, string error) => new(status, null, "application/json", error);
}
