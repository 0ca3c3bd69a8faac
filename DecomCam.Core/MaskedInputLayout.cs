namespace DecomCamNet;

/// <summary>Memory layout of the masked inputs that Score-CAM, UnionCAM and DecomCAM forward without gradients.</summary>
public enum MaskedInputLayout
{
    /// <summary>Channels-last on CPUs that report their cache sizes, contiguous (NCHW) elsewhere (see <see cref="Cam.MaskedForwards.UsesChannelsLast"/>);
    /// with tuning on (<see cref="CamMethod.TuneMaskedForwards"/>), whichever of the safe layouts the first call's batches found faster.</summary>
    Auto,

    /// <summary>The usual contiguous NCHW layout.</summary>
    Contiguous,

    /// <summary>NHWC strides behind the NCHW shape (PyTorch's <c>torch.channels_last</c>): oneDNN's fastest CPU convolutions.</summary>
    ChannelsLast,
}
