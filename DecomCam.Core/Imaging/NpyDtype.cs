namespace DecomCamNet.Imaging;

/// <summary>The element type <see cref="NpyFile.Write(string, TorchSharp.torch.Tensor, NpyDtype)"/> stores: what the file's <c>descr</c> says.</summary>
public enum NpyDtype
{
    /// <summary><c>&lt;f4</c>: IEEE single precision, exact for float32 maps (the default).</summary>
    Float32,

    /// <summary>
    /// <c>&lt;f2</c>: IEEE half precision (round to nearest even), half the bytes. A map in [0,1] keeps 11 significant bits:
    /// an absolute error of at most 2^-12 (about 2.4e-4) near 1, less below.
    /// </summary>
    Float16,
}
