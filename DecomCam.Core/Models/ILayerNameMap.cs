namespace DecomCamNet.Models;

/// <summary>
/// A model whose layers also go by names other than their module paths, such as an imported graph's node names and the
/// names of the tensors the nodes output. <see cref="CamLayer.Resolve"/> asks it about every name that is not a module path.
/// </summary>
public interface ILayerNameMap
{
    /// <summary>The module path of the layer called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The model knows no layer of that name; the message lists the nearest valid names.</exception>
    string ToModulePath(string name);
}
