#!/usr/bin/env python3
"""Convert a checkpoint of the PyTorch reference implementation (mainlp/circuit-compositions)
into circ's model format: safetensors with the reference's parameter names and circ's metadata.

    python3 scripts/convert_reference_checkpoint.py model.ckpt tokenizer.json out.safetensors

The checkpoint is a PyTorch Lightning file whose state-dict keys start with "model."; it is read
with torch.load(weights_only=True), so no pickled code runs. The tokenizer file is a JSON list of
tokens (index = id) or an object {"source": [...], "target": [...]} or {token: id}. This is a
helper for people with a reference model; circ itself never needs Python or PyTorch.
"""
import json
import struct
import sys


def load_vocabularies(path):
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, list):
        return data, data
    if "source" in data and "target" in data:
        return data["source"], data["target"]
    if all(isinstance(v, int) for v in data.values()):
        tokens = [None] * len(data)
        for token, index in data.items():
            tokens[index] = token
        if any(t is None for t in tokens):
            sys.exit(f"{path}: token ids are not 0…{len(tokens) - 1}")
        return tokens, tokens
    sys.exit(f"{path}: expected a token list, {{source, target}} lists, or a token→id map")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    checkpoint_path, tokenizer_path, out_path = sys.argv[1:]
    import torch  # only this helper needs it

    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    state = checkpoint.get("state_dict", checkpoint)
    tensors = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.") and hasattr(v, "dtype")}
    if not tensors:
        sys.exit(f"{checkpoint_path}: no state-dict keys start with 'model.'")
    layers = 1 + max(int(k.split(".")[2]) for k in tensors if k.startswith("encoder.layers."))
    d = tensors["input_embedding.weight"].shape[1]
    ffn = tensors["encoder.layers.0.feed_forward.linear_1.weight"].shape[0]
    source_vocab, target_vocab = load_vocabularies(tokenizer_path)
    config = {"layers": layers, "d": d, "heads": max(1, d // 64), "ffn": ffn, "dropout": 0.0,
              "source_vocab_size": len(source_vocab), "target_vocab_size": len(target_vocab)}
    header = {"__metadata__": {"format": "circ-model-1", "config": json.dumps(config, sort_keys=True),
                               "source_vocab": json.dumps(source_vocab), "target_vocab": json.dumps(target_vocab),
                               "converted_from": checkpoint_path}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        array = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4")
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    encoded = json.dumps(header, sort_keys=True).encode("utf-8")
    encoded += b" " * ((8 - (len(encoded) + 8) % 8) % 8)
    temporary = out_path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for raw in blobs:
            handle.write(raw)
    import os
    os.replace(temporary, out_path)
    print(f"wrote {out_path}: {layers} layers, d={d}, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
