using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>Checks an input batch before any native work, with messages that name the problem.</summary>
internal static class CamInputValidator
{
    public static void Validate(Tensor input, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.IsInvalid) throw new ArgumentException("The input tensor has been disposed.", nameof(input));
        if (input.dim() != 4)
            throw new ArgumentException($"The input must be a batch of images [N,C,H,W]; got shape [{string.Join(",", input.shape)}]. Use unsqueeze(0) for a single image.", nameof(input));
        if (input.shape[0] == 0 || input.shape[2] == 0 || input.shape[3] == 0)
            throw new ArgumentException($"The input [{string.Join(",", input.shape)}] is empty.", nameof(input));
        if (!input.is_floating_point())
            throw new ArgumentException($"The input dtype is {input.dtype}; a floating-point tensor (normally float32) is required.", nameof(input));
        var parameter = model.parameters().FirstOrDefault();
        if (parameter is not null)
        {
            if (parameter.device.ToString() != input.device.ToString())
                throw new ArgumentException($"The input is on {input.device} but the model is on {parameter.device}; move one of them (input.to(device)).", nameof(input));
            if (parameter.dtype != input.dtype)
                throw new ArgumentException($"The input dtype is {input.dtype} but the model's parameters are {parameter.dtype}; convert the input (input.to({parameter.dtype})).", nameof(input));
        }
        if (!ValueRange.AllFinite(input))
            throw new ArgumentException("The input contains NaN or infinity.", nameof(input));
    }
}
