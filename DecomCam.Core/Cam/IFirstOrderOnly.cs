namespace DecomCamNet;

/// <summary>
/// A layer whose backward cannot itself be differentiated, such as one that runs libtorch's
/// <c>scaled_dot_product_attention</c> (its CPU kernel has no double backward). Methods that take second derivatives
/// (ShapleyCAM's Hessian-vector product) refuse models that contain one: libtorch's error inside TorchSharp's
/// <c>autograd.grad</c> would end the process instead of throwing.
/// </summary>
public interface IFirstOrderOnly
{
}
