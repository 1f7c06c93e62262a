#!/usr/bin/env python3
"""NumPy reference forward for a Tracr model converted by scripts/convert_tracr_model.py.
A test helper: it checks circ's engine, it is not part of circ.

    tracr_reference.py MODEL.safetensors "1 2 3 4" "4 3 2 1" ...   logits as JSON
    tracr_reference.py MODEL.safetensors --accuracy DATA.tsv         exact-match count
    tracr_reference.py MODEL.safetensors --truth DATA.tsv            compiled and minimal unit sets

Sequences are given without BOS (it is put at position 0). A token missing from the model's
input vocabulary is encoded as the pad token, as the paper's ErazrTokenizer does
(code/tracr_validation/tracr_data_utils.py: vocab_dict.get(t, pad)); a note goes to stderr.

The forward is that of the paper's code/comp_rep/models/nanoGPT.py for these models:
x = token_embedding[ids] + position_embedding[0:T]; per layer x = x + attn(x); x = x + mlp(x)
(pre-LN when config.layer_norm, which no converted file has); attention: q, k, v = x W^T + b,
split into heads of head_width, scores q k^T / sqrt(head_width), non-causal unless
config.causal, softmax over keys, concatenated heads through the output matrix; MLP:
ReLU(x W_hidden^T + b) W_output^T + b; logits = x unembedding^T at every position.
Computed in float64 from the stored float32 weights.

Units (for --truth): each block (attention, MLP) of each layer has `width` units, one per output
dimension: unit j is that block's contribution to residual dimension j. Zero-ablating a unit sets
that component to zero. "compiled": the units whose row j of the block's output matrix (or bias j)
is not all zero. "minimal": the units whose zero-ablation alone changes the argmax at some position
after BOS on some data row that the unablated model gets right.
"""
import argparse
import json
import struct
import sys

import numpy as np


def load(path):
    with open(path, "rb") as handle:
        blob = handle.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__")
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(blob[base + start:base + end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    model = {"tensors": tensors, "config": json.loads(meta["config"]),
             "source_vocab": json.loads(meta["source_vocab"]), "target_vocab": json.loads(meta["target_vocab"]),
             "bos": meta["bos"], "pad": meta["pad"], "meta": meta}
    return model


def encode(model, sequences):
    """Token strings (without BOS) to an id matrix with BOS at position 0."""
    index = {t: i for i, t in enumerate(model["source_vocab"])}
    rows, unknown = [], set()
    for seq in sequences:
        ids = [index[model["bos"]]]
        for t in seq:
            if t not in index:
                unknown.add(t)
            ids.append(index.get(t, index[model["pad"]]))
        rows.append(ids)
    if unknown:
        print(f"note: tokens {sorted(unknown)} are not in the input vocabulary; encoded as "
              f"{model['pad']} (as the paper's tokenizer does)", file=sys.stderr)
    if len({len(r) for r in rows}) != 1:
        raise SystemExit("all sequences must have the same length")
    return np.array(rows, dtype=np.int64)


def layer_norm(x):
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5)


def forward(model, ids, keep=None):
    """Logits [B, T, V_out]. keep: optional {(layer, "attention"|"mlp"): 0/1 vector of width d};
    a block's output is multiplied by it (zero-ablation of the units marked 0)."""
    t, c = model["tensors"], model["config"]
    B, T = ids.shape
    if T > t["position_embedding"].shape[0]:
        raise SystemExit(f"sequence length {T} (with BOS) exceeds the model's {t['position_embedding'].shape[0]}")
    H, dh = c["heads"], c["head_width"]
    x = t["token_embedding"][ids] + t["position_embedding"][:T][None]
    for i in range(c["layers"]):
        p = f"layers.{i}."
        h = layer_norm(x) if c["layer_norm"] else x

        def lin(name, v):
            y = v @ t[p + name].T
            return y + t[p + name + "_bias"] if p + name + "_bias" in t else y

        q = lin("attention.query", h).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
        k = lin("attention.key", h).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
        v = lin("attention.value", h).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
        if c["causal"]:
            scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
        scores = scores - scores.max(-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(-1, keepdims=True)
        heads = (weights @ v).transpose(0, 2, 1, 3).reshape(B, T, H * dh)
        out = lin("attention.output", heads)
        if keep is not None:
            out = out * keep[(i, "attention")]
        x = x + out
        h = layer_norm(x) if c["layer_norm"] else x
        out = lin("mlp.output", np.maximum(lin("mlp.hidden", h), 0.0))
        if keep is not None:
            out = out * keep[(i, "mlp")]
        x = x + out
    if c["layer_norm"]:
        x = layer_norm(x)
    return x @ t["unembedding"].T


def read_tsv(path):
    rows = []
    with open(path) as handle:
        for line in handle:
            if line.strip():
                source, target = line.rstrip("\n").split("\t")
                rows.append((source.split(), target.split()))
    return rows


def correct_rows(model, rows, keep=None):
    """Boolean per row: argmax at every position after BOS equals the target token."""
    ids = encode(model, [s for s, _ in rows])
    predicted = forward(model, ids, keep).argmax(-1)[:, 1:]
    out_index = {tok: i for i, tok in enumerate(model["target_vocab"])}
    targets = np.array([[out_index.get(tok, -1) for tok in tgt] for _, tgt in rows])
    return (predicted == targets).all(-1), predicted


def all_units(model):
    c = model["config"]
    return [(i, block, j) for i in range(c["layers"]) for block in ("attention", "mlp") for j in range(c["width"])]


def unit_name(unit):
    i, block, j = unit
    return f"layers.{i}.{block}:{j}"


def keep_only(model, units):
    c = model["config"]
    keep = {(i, b): np.zeros(c["width"]) for i in range(c["layers"]) for b in ("attention", "mlp")}
    for i, b, j in units:
        keep[(i, b)][j] = 1.0
    return keep


def compiled_units(model):
    t = model["tensors"]
    units = []
    for i, block, j in all_units(model):
        name = f"layers.{i}.{block}.output"
        if np.any(t[name][j] != 0) or (name + "_bias" in t and t[name + "_bias"][j] != 0):
            units.append((i, block, j))
    return units


def truth(model, rows):
    units = all_units(model)
    compiled = compiled_units(model)
    ok, _ = correct_rows(model, rows)
    good = [r for r, k in zip(rows, ok) if k]
    ids = encode(model, [s for s, _ in good])
    base = forward(model, ids).argmax(-1)[:, 1:]
    minimal = []
    for unit in compiled:  # ablating a unit whose output is all zero changes nothing
        keep = keep_only(model, units)
        keep[(unit[0], unit[1])][unit[2]] = 0.0
        if np.any(forward(model, ids, keep).argmax(-1)[:, 1:] != base):
            minimal.append(unit)
    full = forward(model, encode(model, [s for s, _ in rows]))
    only_compiled = forward(model, encode(model, [s for s, _ in rows]), keep_only(model, compiled))
    only_minimal = forward(model, ids, keep_only(model, minimal)).argmax(-1)[:, 1:]
    return {"units": len(units), "compiled": len(compiled), "minimal": len(minimal),
            "rows": len(rows), "rows_correct": len(good),
            "compiled_only_max_abs_diff": float(np.abs(full - only_compiled).max()),
            "minimal_only_agreement": float((only_minimal == base).all(-1).mean()) if len(good) else None,
            "compiled_units": [unit_name(u) for u in compiled],
            "minimal_units": [unit_name(u) for u in minimal]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("sequences", nargs="*", help="space-separated tokens, without BOS")
    parser.add_argument("--accuracy", metavar="DATA.tsv")
    parser.add_argument("--truth", metavar="DATA.tsv")
    args = parser.parse_args()
    model = load(args.model)
    if args.accuracy:
        rows = read_tsv(args.accuracy)
        ok, _ = correct_rows(model, rows)
        print(json.dumps({"correct": int(ok.sum()), "rows": len(rows)}))
    elif args.truth:
        print(json.dumps(truth(model, read_tsv(args.truth)), indent=1))
    else:
        if not args.sequences:
            parser.error("give token sequences, --accuracy or --truth")
        seqs = [s.split() for s in args.sequences]
        ids = encode(model, seqs)
        logits = forward(model, ids)
        print(json.dumps([{"tokens": [model["bos"]] + s, "ids": i.tolist(), "logits": l.tolist()}
                          for s, i, l in zip(seqs, ids, logits)]))


if __name__ == "__main__":
    main()
