using DecomCamNet.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's Swin <c>ShiftedWindowAttention</c> (Liu et al. 2021, W-MSA and SW-MSA) with its state-dict names:
/// <c>qkv</c>, <c>proj</c>, <c>relative_position_bias_table</c> [(2 window - 1)², heads] and the buffer
/// <c>relative_position_index</c> [window⁴] (int64, saved in torchvision 0.14's state dicts). Input and output are
/// channels-last <c>[N, H, W, C]</c>.
/// </summary>
/// <remarks>
/// <para>As torchvision: the grid is padded at the bottom and right to whole windows; with a shift, it is rolled by
/// minus the shift and attention between tokens from different regions of the rolled grid is masked (-100 added to the
/// logits); a shift is dropped when one window covers the padded side.</para>
/// <para>The attention probabilities <c>softmax(Q K^T / sqrt(head width) + bias + mask)</c>, one
/// <c>[window², window²]</c> matrix per window and head, <c>[N x windows, heads, window², window²]</c> with the windows
/// of an image consecutive and row-major over the (rolled) grid, pass through the child <c>attn_probs</c>
/// (<see cref="AttentionProbabilities"/>): hook it to read them or take gradients with respect to them.</para>
/// </remarks>
public sealed class ShiftedWindowAttention : nn.Module<Tensor, Tensor>
{
    private const float MaskedLogit = -100f;

    private readonly nn.Module<Tensor, Tensor> qkv;
    private readonly nn.Module<Tensor, Tensor> proj;
    private readonly Parameter relative_position_bias_table;
    private readonly Tensor relative_position_index;
    private readonly AttentionProbabilities attn_probs;
    private readonly long _width;
    private readonly long _heads;
    private readonly int _window;
    private readonly int _shift;

    /// <summary>Creates the layer; the bias table is drawn from N(0, 0.02).</summary>
    /// <param name="width">Token width; must be divisible by <paramref name="heads"/>.</param>
    /// <param name="window">Side of the square windows.</param>
    /// <param name="shift">Shift of the windows (0, or half a window in odd blocks).</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    /// <exception cref="ArgumentException">The width is not divisible by the heads, or the window or shift is out of range.</exception>
    public ShiftedWindowAttention(long width, int window, int shift, long heads, Device? device = null)
        : base(nameof(ShiftedWindowAttention))
    {
        if (heads < 1 || width < 1 || width % heads != 0)
            throw new ArgumentException($"Width {width} is not divisible by {heads} heads.", nameof(heads));
        if (window < 1 || shift < 0 || shift >= window)
            throw new ArgumentException($"Window {window} with shift {shift}: the window must be positive and the shift in [0, window).", nameof(shift));
        _width = width;
        _heads = heads;
        _window = window;
        _shift = shift;
        qkv = nn.Linear(width, width * 3, device: device);
        proj = nn.Linear(width, width, device: device);
        long side = 2L * window - 1;
        relative_position_bias_table = nn.Parameter(zeros(side * side, heads, device: device));
        relative_position_index = tensor(RelativePositionIndex(window), device: device);
        attn_probs = new AttentionProbabilities();
        RegisterComponents(); // the Tensor field becomes the buffer relative_position_index
        if (relative_position_bias_table.device_type != DeviceType.META)
        {
            using var noGrad = no_grad();
            nn.init.trunc_normal_(relative_position_bias_table, std: 0.02);
        }
    }

    /// <summary>Number of attention heads.</summary>
    public long Heads => _heads;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 4 || input.shape[3] != _width)
            throw new ArgumentException(
                $"Expected channels-last [N, H, W, {_width}], got [{string.Join(", ", input.shape)}].", nameof(input));
        long batch = input.shape[0], height = input.shape[1], width = input.shape[2], ws = _window;
        long padBottom = (ws - height % ws) % ws, padRight = (ws - width % ws) % ws;
        long paddedH = height + padBottom, paddedW = width + padRight;
        long shiftH = ws >= paddedH ? 0 : _shift, shiftW = ws >= paddedW ? 0 : _shift;
        long windowsH = paddedH / ws, windowsW = paddedW / ws, windows = windowsH * windowsW, area = ws * ws;
        long headWidth = _width / _heads;

        using var padded = nn.functional.pad(input, [0, 0, 0, padRight, 0, padBottom]);
        using var rolled = shiftH + shiftW > 0 ? padded.roll([-shiftH, -shiftW], [1, 2]) : padded.alias();
        using var windowed = rolled.view(batch, windowsH, ws, windowsW, ws, _width).permute(0, 1, 3, 2, 4, 5)
            .reshape(batch * windows, area, _width);
        using var projected = qkv.call(windowed).reshape(batch * windows, area, 3, _heads, headWidth).permute(2, 0, 3, 1, 4);
        using var q = projected[0];
        using var k = projected[1];
        using var v = projected[2];
        using var scale = (1.0 / Math.Sqrt(headWidth)).ToScalar();
        using var scaled = q.mul(scale);
        using var keysT = k.transpose(-2, -1);
        using var logits = scaled.matmul(keysT);
        using var bias = RelativePositionBias();
        using var biased = logits.add(bias, CachedScalars.One);
        using var masked = shiftH + shiftW > 0 ? Masked(biased, paddedH, paddedW, shiftH, shiftW) : biased.alias();
        using var probabilities = masked.softmax(-1);
        var recorded = attn_probs.call(probabilities); // a module's output: hooks keep an alias of it
        using var attended = recorded.matmul(v).transpose(1, 2).reshape(batch * windows, area, _width);
        IntermediateRelease.For(probabilities).Release(recorded, probabilities); // without gradients, freed once read
        using var mixed = proj.call(attended).view(batch, windowsH, windowsW, ws, ws, _width).permute(0, 1, 3, 2, 4, 5)
            .reshape(batch, paddedH, paddedW, _width);
        using var unrolled = shiftH + shiftW > 0 ? mixed.roll([shiftH, shiftW], [1, 2]) : mixed.alias();
        using var cropped = unrolled.narrow(1, 0, height).narrow(2, 0, width);
        return cropped.contiguous();
    }

    /// <summary>The bias of every query-key pair of a window, per head: <c>[1, heads, window², window²]</c>.</summary>
    private Tensor RelativePositionBias()
    {
        long area = (long)_window * _window;
        using var gathered = relative_position_bias_table.index_select(0, relative_position_index);
        using var perPair = gathered.view(area, area, _heads);
        return perPair.permute(2, 0, 1).unsqueeze(0);
    }

    /// <summary>
    /// Adds the shifted-window mask: 0 between tokens of the same region of the rolled grid (regions split at
    /// <c>side - window</c> and <c>side - shift</c> on each axis), <see cref="MaskedLogit"/> between regions.
    /// </summary>
    private Tensor Masked(Tensor logits, long paddedH, long paddedW, long shiftH, long shiftW)
    {
        long ws = _window, windowsH = paddedH / ws, windowsW = paddedW / ws, windows = windowsH * windowsW, area = ws * ws;
        var region = new int[windows * area];
        for (long y = 0; y < paddedH; y++)
        {
            int regionY = y < paddedH - ws ? 0 : y < paddedH - shiftH ? 1 : 2;
            for (long x = 0; x < paddedW; x++)
            {
                int regionX = x < paddedW - ws ? 0 : x < paddedW - shiftW ? 1 : 2;
                long window = (y / ws) * windowsW + x / ws, token = (y % ws) * ws + x % ws;
                region[window * area + token] = 3 * regionY + regionX;
            }
        }
        var mask = new float[windows * area * area];
        for (long w = 0; w < windows; w++)
            for (long i = 0; i < area; i++)
                for (long j = 0; j < area; j++)
                    mask[(w * area + i) * area + j] = region[w * area + i] == region[w * area + j] ? 0f : MaskedLogit;
        long images = logits.shape[0] / windows;
        using var maskTensor = tensor(mask, [1, windows, 1, area, area], dtype: logits.dtype, device: logits.device);
        using var perImage = logits.view(images, windows, _heads, area, area);
        using var sum = perImage.add(maskTensor, CachedScalars.One);
        return sum.view(images * windows, _heads, area, area);
    }

    private static long[] RelativePositionIndex(int window)
    {
        int area = window * window;
        var index = new long[area * area];
        for (int i = 0; i < area; i++)
            for (int j = 0; j < area; j++)
                index[i * area + j] = (i / window - j / window + window - 1) * (2L * window - 1) + (i % window - j % window + window - 1);
        return index;
    }
}
