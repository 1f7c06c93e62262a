#!/usr/bin/env python3
"""Whether two Tracr models in circ's format hold the same weights up to the order of their
residual dimensions (and, with them, of each layer's attention and MLP hidden dimensions).

    python compare_models.py A.safetensors B.safetensors       (needs NumPy: the venv of setup_venv.sh)

Tracr orders residual dimensions by label, so the same program compiled under other names
(or another order of compilation) gives a permutation of the same model. The matching is found by
colour refinement on the weight graph: nodes are the residual dimensions, each layer's query/key
dimensions (within their head), value/output dimensions (within their head) and MLP hidden units,
and the fixed input tokens, positions and outputs; every non-zero weight is an edge labelled by its
tensor and value. Nodes of both models whose colours still tie are paired in order and refined
again until every colour names one node per model. The pairing is then checked by permuting B
into A's order and comparing every tensor. Prints the matching and the largest difference per
tensor; exit 0 when all tensors agree within 1e-6, 1 when they do not, 2 on bad input.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tracr_reference import load  # noqa: E402  (scripts/, beside this folder)

TOLERANCE = 1e-6
SHAPE_KEYS = ("layers", "width", "heads", "head_width", "mlp_width", "max_length", "vocabulary",
              "output_vocabulary", "layer_norm", "causal")


def weight_graph(model):
    """Nodes with their initial colour, and edges (node, node, label) for every non-zero weight."""
    t, c = model["tensors"], model["config"]
    nodes = {("r", j): ("r",) for j in range(c["width"])}
    nodes.update({("tok", i): ("tok", i) for i in range(c["vocabulary"])})
    nodes.update({("pos", p): ("pos", p) for p in range(c["max_length"])})
    nodes.update({("out", o): ("out", o) for o in range(c["output_vocabulary"])})
    edges = []

    def connect(tensor, rows, columns, label):
        for a, b in zip(*np.nonzero(tensor)):
            edges.append((rows(a), columns(b), (label, round(float(tensor[a, b]), 6))))

    def bias(name, node):
        if name in t:
            for j, value in enumerate(t[name]):
                nodes[node(j)] += (name.rsplit(".", 1)[0], round(float(value), 6))

    residual = lambda j: ("r", j)
    connect(t["token_embedding"], lambda i: ("tok", i), residual, "token_embedding")
    connect(t["position_embedding"], lambda p: ("pos", p), residual, "position_embedding")
    connect(t["unembedding"], lambda o: ("out", o), residual, "unembedding")
    for layer in range(c["layers"]):
        p = f"layers.{layer}."
        for kind, names in (("qk", ("query", "key")), ("ov", ("value",))):
            node = lambda j, kind=kind: (kind, layer, j)
            nodes.update({node(j): (kind, layer, j // c["head_width"]) for j in range(c["heads"] * c["head_width"])})
            for name in names:
                connect(t[p + "attention." + name], node, residual, p + name)
                bias(p + "attention." + name + "_bias", node)
        connect(t[p + "attention.output"], residual, lambda j: ("ov", layer, j), p + "output")
        bias(p + "attention.output_bias", residual)
        hidden = lambda j: ("mlp", layer, j)
        nodes.update({hidden(j): ("mlp", layer) for j in range(c["mlp_width"])})
        connect(t[p + "mlp.hidden"], hidden, residual, p + "mlp.hidden")
        connect(t[p + "mlp.output"], residual, hidden, p + "mlp.output")
        bias(p + "mlp.hidden_bias", hidden)
        bias(p + "mlp.output_bias", residual)
    return nodes, edges


def refine(graphs, colours):
    """Colour refinement over both graphs with one shared palette, until the classes stop splitting."""
    while True:
        signatures = []
        for (nodes, edges), colour in zip(graphs, colours):
            around = {node: [] for node in nodes}
            for a, b, label in edges:
                around[a].append((label, "to", colour[b]))
                around[b].append((label, "from", colour[a]))
            signatures.append({node: (colour[node], tuple(sorted(around[node]))) for node in nodes})
        palette = {s: i for i, s in enumerate(sorted({s for sig in signatures for s in sig.values()}, key=repr))}
        new = [{node: palette[s] for node, s in sig.items()} for sig in signatures]
        if len(palette) == len(set(colours[0].values()) | set(colours[1].values())):
            return new
        colours = new


def match(a, b):
    """{node of A: node of B}, or raises ValueError saying where the models differ."""
    graphs = [weight_graph(a), weight_graph(b)]
    start = {s: i for i, s in enumerate(sorted({s for g in graphs for s in g[0].values()}, key=repr))}
    colours = refine(graphs, [{node: start[s] for node, s in g[0].items()} for g in graphs])
    while True:
        classes = {}
        for side, colour in enumerate(colours):
            for node, value in sorted(colour.items()):
                classes.setdefault(value, ([], []))[side].append(node)
        for members in classes.values():
            if len(members[0]) != len(members[1]):
                raise ValueError(f"the weights differ: no order of B's dimensions matches A's {members[0]} "
                                 f"(dimensions as (kind, layer, index); B's candidates: {members[1]})")
        ties = [members for members in classes.values() if len(members[0]) > 1]
        if not ties:
            return {members[0][0]: members[1][0] for members in classes.values()}
        first_a, first_b = ties[0][0][0], ties[0][1][0]
        fresh = max(max(c.values()) for c in colours) + 1
        colours[0][first_a] = colours[1][first_b] = fresh
        colours = refine(graphs, colours)


def reordered(tensors, config, order):
    """The tensors with their dimensions taken in the given orders: order("r") for the residual
    stream, order("qk", layer), order("ov", layer), order("mlp", layer) for each layer's query/key,
    value/output and hidden dimensions (position j of the result holds dimension order[j])."""
    r = order("r")
    out = {name: tensors[name][:, r] for name in ("token_embedding", "position_embedding", "unembedding")}
    for layer in range(config["layers"]):
        p = f"layers.{layer}."
        qk, ov, h = order("qk", layer), order("ov", layer), order("mlp", layer)
        for name, rows, cols in (("attention.query", qk, r), ("attention.key", qk, r), ("attention.value", ov, r),
                                 ("attention.output", r, ov), ("mlp.hidden", h, r), ("mlp.output", r, h)):
            out[p + name] = tensors[p + name][np.ix_(rows, cols)]
        for name, index in (("attention.query_bias", qk), ("attention.key_bias", qk), ("attention.value_bias", ov),
                            ("attention.output_bias", r), ("mlp.hidden_bias", h), ("mlp.output_bias", r)):
            if p + name in tensors:
                out[p + name] = tensors[p + name][index]
    return out


def permuted(b, pairing, config):
    """B's tensors reordered into A's dimension order."""
    sizes = {"r": config["width"], "qk": config["heads"] * config["head_width"],
             "ov": config["heads"] * config["head_width"], "mlp": config["mlp_width"]}

    def order(kind, *layer):
        return [pairing[(kind, *layer, j)][-1] for j in range(sizes[kind])]
    return reordered(b["tensors"], config, order)


def compare(path_a, path_b):
    """Returns (same, report lines)."""
    a, b = load(path_a), load(path_b)
    lines = []
    for key in SHAPE_KEYS:
        if a["config"][key] != b["config"][key]:
            return False, [f"config {key}: {a['config'][key]} in A, {b['config'][key]} in B"]
    for key in ("source_vocab", "target_vocab", "bos", "pad"):
        if a[key] != b[key]:
            return False, [f"{key}: {a[key]} in A, {b[key]} in B"]
    if set(a["tensors"]) != set(b["tensors"]):
        return False, [f"tensors only in A: {sorted(set(a['tensors']) - set(b['tensors']))}, "
                       f"only in B: {sorted(set(b['tensors']) - set(a['tensors']))}"]
    try:
        pairing = match(a, b)
    except ValueError as error:
        return False, [str(error)]
    labels = {name: json.loads(m["meta"]["residual_labels"]) if "residual_labels" in m["meta"] else None
              for name, m in (("A", a), ("B", b))}
    width = a["config"]["width"]
    residual = [pairing[("r", j)][1] for j in range(width)]
    name = lambda side, j: f"{j} ({labels[side][j]})" if labels[side] else str(j)
    moved = [j for j in range(width) if residual[j] != j]
    lines.append(f"residual dimensions: {width}; {len(moved)} in another place"
                 + ("" if moved else " (identity)"))
    for j in moved:
        lines.append(f"  A {name('A', j)} = B {name('B', residual[j])}")
    others = [node for node, other in pairing.items() if node[0] in ("qk", "ov", "mlp") and node != other]
    lines.append(f"attention and hidden dimensions in another place: {len(others)}")
    differences = {tensor: float(np.abs(a["tensors"][tensor] - values).max()) if values.size else 0.0
                   for tensor, values in permuted(b, pairing, a["config"]).items()}
    for tensor, diff in sorted(differences.items()):
        if diff > TOLERANCE:
            lines.append(f"  {tensor}: max |A - B| = {diff:.3g}")
    worst = max(differences.values())
    same = worst <= TOLERANCE
    lines.append(("SAME" if same else "DIFFERENT") + f" up to the order of dimensions: {len(differences)} tensors, "
                 f"largest difference {worst:.3g}")
    return same, lines


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    for path in sys.argv[1:]:
        if not os.path.isfile(path):
            print(f"compare_models: {path}: no such file", file=sys.stderr)
            sys.exit(2)
    same, lines = compare(sys.argv[1], sys.argv[2])
    print("\n".join(lines))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
