"""A stand-in for einops.rearrange with the two patterns Transformer-Explainability's baselines/ViT/ViT_new.py uses.

Debian 12 packages no einops and PyPI is out of reach here; vit_anchor_reference.py puts this folder on sys.path so the
anchor's own ViT module imports unchanged. Any other pattern raises.
"""


def rearrange(tensor, pattern, **sizes):
    if pattern == "b n (qkv h d) -> qkv b h n d":
        b, n, width = tensor.shape
        qkv, h = sizes["qkv"], sizes["h"]
        return tensor.reshape(b, n, qkv, h, width // (qkv * h)).permute(2, 0, 3, 1, 4)
    if pattern == "b h n d -> b n (h d)":
        b, h, n, d = tensor.shape
        return tensor.permute(0, 2, 1, 3).reshape(b, n, h * d)
    raise NotImplementedError(f"einops stand-in: pattern '{pattern}' is not one ViT_new.py uses")
