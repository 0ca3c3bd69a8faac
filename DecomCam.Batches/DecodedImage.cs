using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Batches;

/// <summary>
/// One image on its way from <see cref="ImageSetDecoder"/> to <see cref="ImageSetExplainer"/>: decoded and preprocessed,
/// or the reason it could not be. Whoever holds it owns the picture.
/// </summary>
/// <param name="Path">The image file.</param>
/// <param name="Sha256">SHA-256 of the file's bytes; empty when the file could not be read.</param>
/// <param name="Picture">The preprocessed image; <c>null</c> when it failed.</param>
/// <param name="Error">Why the image failed, or <c>null</c>.</param>
internal sealed record DecodedImage(string Path, string Sha256, Image<Rgb24>? Picture, string? Error);
