"""Write the CLIP fidelity goldens in DecomCam.Tests/Golden/clip/ with OpenAI's own model code.

Usage (Debian's interpreter, torch 1.13; run from the repository root):

    /usr/bin/python3 reference/clip_reference.py /tmp/openai-clip

The argument is a checkout of github.com/openai/CLIP: the folder that holds the `clip` package. Only its
`clip/model.py` and `clip/simple_tokenizer.py` are loaded (by path, so `clip/__init__.py` and its torchvision/PIL
imports are skipped). ftfy is replaced by a stub whose fix_text returns its input: the prompts are plain ASCII, which
ftfy leaves unchanged.

For RN50 and ViT-B/32 (OpenAI's full-size hyperparameters) the script builds `model.CLIP`, fills every state-dict
entry with detinit.fill_value(key, shape), and writes in eval mode, float32:
  rn50_image.npy, vitb32_image.npy   encode_image of fill_value("input", (2, 3, 224, 224))   [2, embed_dim]
  rn50_text.npy,  vitb32_text.npy    encode_text of the three prompts' token ids            [3, embed_dim]
  clip.json                          prompts, token ids (77 per prompt), every state-dict key with its shape,
                                     logit_scale, embedding scales, and float64-rerun differences (float32 noise).
No weights are written.
"""
import importlib.util
import json
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import detinit  # noqa: E402

OUT = os.path.join(HERE, "..", "DecomCam.Tests", "Golden", "clip")
PROMPTS = ["a photo of a cat", "a dog", ""]
CONTEXT = 77
INPUT_SHAPE = (2, 3, 224, 224)

# name -> build_model's arguments: embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size,
# context_length, vocab_size, transformer_width, transformer_heads, transformer_layers
CONFIGS = {
    "rn50": (1024, 224, (3, 4, 6, 3), 64, None, CONTEXT, 49408, 512, 8, 12),
    "vitb32": (512, 224, 12, 768, 32, CONTEXT, 49408, 512, 8, 12),
}


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_openai(checkout):
    package = os.path.join(checkout, "clip")
    if not os.path.isfile(os.path.join(package, "model.py")):
        sys.exit(f"{checkout} has no clip/model.py: pass the folder that holds openai/CLIP's 'clip' package")
    if "ftfy" not in sys.modules:
        stub = types.ModuleType("ftfy")
        stub.fix_text = lambda text: text
        sys.modules["ftfy"] = stub
    model = load_by_path("openai_clip_model", os.path.join(package, "model.py"))
    tokenizer = load_by_path("openai_clip_tokenizer", os.path.join(package, "simple_tokenizer.py"))
    return model, tokenizer


def token_ids(tokenizer_module):
    """clip.tokenize's layout: start token, the BPE ids, end token, zero padding to 77."""
    tok = tokenizer_module.SimpleTokenizer()
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    rows = []
    for prompt in PROMPTS:
        ids = [sot] + tok.encode(prompt) + [eot]
        assert len(ids) <= CONTEXT
        rows.append(ids + [0] * (CONTEXT - len(ids)))
    return rows


def run(model_module, name, x, tokens):
    model = model_module.CLIP(*CONFIGS[name])
    detinit.fill_module(model)
    model.eval()
    with torch.no_grad():
        image = model.encode_image(x).float()
        text = model.encode_text(tokens).float()
        # float64 rerun of the same weights and inputs: how far float32 rounding alone moves the embeddings. OpenAI's
        # LayerNorm casts its input to float32, which float64 weights reject; plain nn.LayerNorm is the same in float32.
        model.double()
        cast_to_float32 = model_module.LayerNorm.forward
        model_module.LayerNorm.forward = torch.nn.LayerNorm.forward
        try:
            image64 = model.encode_image(x.double())
            text64 = model.encode_text(tokens)
        finally:
            model_module.LayerNorm.forward = cast_to_float32
    keys = {k: list(t.shape) for k, t in model.state_dict().items()}
    facts = {
        "config": [list(c) if isinstance(c, tuple) else c for c in CONFIGS[name]],
        "keys": keys,
        "logit_scale": float(model.logit_scale.item()),
        "image_max_abs": float(image.abs().max()),
        "text_max_abs": float(text.abs().max()),
        "image_float64_max_abs_diff": float((image.double() - image64).abs().max()),
        "text_float64_max_abs_diff": float((text.double() - text64).abs().max()),
        "image_std_over_batch": float(image.std(0).mean()),
        "text_std_over_prompts": float(text.std(0).mean()),
    }
    for what, t in (("image", image), ("text", text)):
        assert torch.isfinite(t).all(), f"{name} {what} embedding is not finite"
    return image.numpy().astype(np.float32), text.numpy().astype(np.float32), facts


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    model_module, tokenizer_module = load_openai(sys.argv[1])
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(OUT, exist_ok=True)
    ids = token_ids(tokenizer_module)
    tokens = torch.tensor(ids, dtype=torch.int64)
    x = torch.from_numpy(detinit.fill_value("input", INPUT_SHAPE))
    manifest = {
        "torch": torch.__version__,
        "prompts": PROMPTS,
        "tokens": ids,
        "input": {"fill": "input", "shape": list(INPUT_SHAPE)},
        "models": {},
    }
    for name in CONFIGS:
        image, text, facts = run(model_module, name, x, tokens)
        np.save(os.path.join(OUT, f"{name}_image.npy"), image)
        np.save(os.path.join(OUT, f"{name}_text.npy"), text)
        manifest["models"][name] = facts
        print(f"{name}: image {image.shape} max|.| {facts['image_max_abs']:.6g} (float64 diff "
              f"{facts['image_float64_max_abs_diff']:.3g}), text {text.shape} max|.| {facts['text_max_abs']:.6g} "
              f"(float64 diff {facts['text_float64_max_abs_diff']:.3g}), {len(facts['keys'])} keys")
    with open(os.path.join(OUT, "clip.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
