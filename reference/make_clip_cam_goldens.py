"""Write the CLIP CAM goldens in DecomCam.Tests/Golden/clip/cam/: Grad-CAM, Score-CAM and DecomCAM maps for text prompts.

Usage (Debian's interpreter, torch 1.13; run from the repository root):

    /usr/bin/python3 reference/make_clip_cam_goldens.py /tmp/openai-clip

The argument is a checkout of github.com/openai/CLIP (see clip_reference.py, whose loader this reuses). Two small CLIP
models of OpenAI's architectures (a ModifiedResNet and a VisionTransformer, small enough that Score-CAM's one forward
per channel takes seconds) are built with OpenAI's model code and filled with detinit.fill_module. The explained score
is the cosine similarity of the image embedding to each prompt's text embedding; prompt k plays the part of class k, and
each image's target is its zero-shot choice (the prompt it matches best), as the command line's default.
The methods are cam_reference.py's (written from the papers), on:
  rn:  visual.layer4 (the ResNet's last stage, a [N,C,h,w] feature map);
  vit: visual.transformer.resblocks.1.ln_1 (the last block's input norm), whose sequence-first tokens [L,N,D] become a
       feature map [N,D,h,w] by dropping the class token and laying the rest on their grid, row-major.
Files: <case>_<method>.npy (final maps [N,H,W]; DecomCAM also its OSSMs and weights), manifest.json (configs, prompts,
token ids, targets). No weights are written.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cam_reference as cam  # noqa: E402
import clip_reference  # noqa: E402
import detinit  # noqa: E402

OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "clip", "cam")
PROMPTS = ["a photo of a cat", "a dog on the grass", "a red car"]
CONTEXT = 77
# build_model's arguments: embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size,
# context_length, vocab_size, transformer_width, transformer_heads, transformer_layers
CASES = {
    "rn": dict(config=(32, 128, (1, 1, 1, 1), 8, None, CONTEXT, 49408, 32, 2, 1), layer="visual.layer4", tokens=False),
    "vit": dict(config=(32, 64, 2, 64, 16, CONTEXT, 49408, 32, 2, 1), layer="visual.transformer.resblocks.1.ln_1", tokens=True),
}


class PromptScorer(torch.nn.Module):
    """Image -> cosine similarity to each prompt, [N,K]: the score the C# ClipPrompts target explains."""

    def __init__(self, clip, text):
        super().__init__()
        self.visual = clip.visual
        self.register_buffer("text", F.normalize(text, dim=1))

    def forward(self, x):
        return F.normalize(self.visual(x).float(), dim=1) @ self.text.T


def tokens_to_map(t, n):
    """Sequence-first tokens [L,N,D] -> [N,D,h,w] (class token dropped, square grid, row-major)."""
    t = t.permute(1, 2, 0)[:, :, 1:]
    side = int(round((t.shape[2]) ** 0.5))
    return t.reshape(n, t.shape[1], side, side)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    model_module, tokenizer_module = clip_reference.load_openai(sys.argv[1])
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(OUT, exist_ok=True)
    tok = tokenizer_module.SimpleTokenizer()
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    ids = [[sot] + tok.encode(p) + [eot] for p in PROMPTS]
    tokens = torch.tensor([row + [0] * (CONTEXT - len(row)) for row in ids], dtype=torch.int64)
    manifest = {"torch": torch.__version__, "prompts": PROMPTS, "cases": {}}
    for case, spec in CASES.items():
        clip = model_module.CLIP(*spec["config"])
        detinit.fill_module(clip)
        clip.eval()
        res = spec["config"][1]
        x = torch.from_numpy(detinit.fill_value("input", (2, 3, res, res)))
        with torch.no_grad():
            text = clip.encode_text(tokens).float()
        model = PromptScorer(clip, text).eval()
        layer = dict(model.named_modules())[spec["layer"]]
        with torch.no_grad():
            t = model(x).argmax(1)
        scores, A, G = cam.activations_and_gradients(model, layer, x, t)
        if spec["tokens"]:
            A, G = tokens_to_map(A, 2), tokens_to_map(G, 2)
        size = (res, res)
        results = {
            "gradcam": cam.gradcam(A, G, size)["final"],
            "scorecam": cam.scorecam(model, x, A, t)["final"],
        }
        decom = cam.decomcam(model, x, A, G, t)
        results["decomcam"] = decom["final_paper"]
        results["decomcam_official"] = decom["final_official"]
        results["decomcam_weights"] = decom["weights_paper"]
        for name, value in results.items():
            np.save(os.path.join(OUT, f"{case}_{name}.npy"), value.detach().numpy().astype(np.float32))
        manifest["cases"][case] = {
            "config": [list(c) if isinstance(c, tuple) else c for c in spec["config"]],
            "layer": spec["layer"],
            "feature_map": list(A.shape),
            "targets": t.tolist(),
            "similarities": scores.tolist(),
        }
        print(case, "A", list(A.shape), "similarities", [[round(v, 4) for v in r] for r in scores.tolist()],
              "decomcam weights", decom["weights_paper"].tolist())
    manifest["tokens"] = tokens.tolist()
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
