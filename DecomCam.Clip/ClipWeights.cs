using DecomCamNet.Clip.Models;
using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Clip;

/// <summary>Loads a CLIP model from a state-dict file in OpenAI's layout, its architecture inferred from the keys.</summary>
/// <remarks>
/// OpenAI's released files are TorchScript archives; convert one once with PyTorch and the <c>clip</c> package:
/// <code>python3 -c "import clip, torch; m, _ = clip.load('RN50', device='cpu', jit=False); torch.save(m.state_dict(), 'clip_rn50.pth')"</code>
/// (or <c>safetensors.torch.save_file(m.state_dict(), 'clip_rn50.safetensors')</c>). The three metadata entries of OpenAI's
/// state dicts (<c>input_resolution</c>, <c>context_length</c>, <c>vocab_size</c>) are ignored. open_clip's models of these
/// architectures use the same key names; those trained with <c>quick_gelu</c> compute what this model computes (not tested
/// here: no weights are downloaded).
/// </remarks>
public static class ClipWeights
{
    /// <summary>Reads <paramref name="path"/> (.safetensors, .pth, .pt, .bin) and builds the CLIP model it describes.</summary>
    /// <param name="path">The state-dict file.</param>
    /// <param name="expected">When given (a <see cref="ClipZoo"/> name), the file must describe that architecture.</param>
    /// <param name="device">Where to put the model (default CPU).</param>
    /// <exception cref="ArgumentException">The file is not in OpenAI's layout, or describes another architecture than <paramref name="expected"/>.</exception>
    public static ClipModel Load(string path, string? expected = null, Device? device = null)
    {
        var stateDict = StateDictLoader.Read(path);
        try
        {
            if (expected is not null)
            {
                var found = ClipConfig.FromStateDict(stateDict);
                var wanted = ClipZoo.Config(expected);
                if (!found.Equals(wanted))
                    throw new ArgumentException($"'{path}' holds a CLIP model with {found}, not {expected} ({wanted}).", nameof(path));
            }
            return ClipModel.FromStateDict(stateDict, device);
        }
        finally
        {
            foreach (var tensor in stateDict.Values) tensor.Dispose();
        }
    }
}
