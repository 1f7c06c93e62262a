#!/usr/bin/env python3
"""Reads a model or a circuit file that circ wrote, with Python's standard library only.

    python3 scripts/read_circ_file.py FILE            # a summary
    python3 scripts/read_circ_file.py --json FILE     # the same as one JSON object

As a module: `read(path)` gives a dict with `format`, `metadata` (JSON-valued keys decoded) and
`tensors` ({name: (shape, values)}); a circuit's also has `kept` ({block: [unit, ...]}). The
layout and every metadata key are described in docs/formats.md.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_file  # noqa: E402

MODEL_FORMAT, CIRCUIT_FORMAT = "circ-model-1", "circ-circuit-1"
# Metadata keys whose values are JSON text, per format.
JSON_KEYS = {MODEL_FORMAT: ("config", "source_vocab", "target_vocab", "history"), CIRCUIT_FORMAT: ("parameters",)}
ABLATION_PREFIXES = ("ablation_values.", "ablation_donors.")


def read(path):
    """A circ model or circuit file as a dict; ValueError when it is neither."""
    metadata, tensors = safetensors_file.read(path)
    kind = metadata.get("format")
    if kind not in JSON_KEYS:
        raise ValueError(f"{path}: format is {kind!r}, not {MODEL_FORMAT!r} or {CIRCUIT_FORMAT!r}")
    decoded = dict(metadata)
    for key in JSON_KEYS[kind]:
        if key in decoded:
            try:
                decoded[key] = json.loads(decoded[key])
            except json.JSONDecodeError:
                pass  # models trained before `history` was JSON keep it as text
    result = {"format": kind, "metadata": decoded, "tensors": tensors}
    if kind == CIRCUIT_FORMAT:
        blocks = metadata["blocks"].split(",") if metadata.get("blocks") else sorted(n for n in tensors if not n.startswith(ABLATION_PREFIXES))
        result["kept"] = {block: [unit for unit, value in enumerate(tensors[block][1]) if value == 1] for block in blocks}
    return result


def summary(file):
    """What `read` found, as a JSON-ready dict without the tensors' values."""
    out = {"format": file["format"], "tensors": {name: shape for name, (shape, _) in sorted(file["tensors"].items())}}
    metadata = dict(file["metadata"])
    for key in ("source_vocab", "target_vocab"):
        if key in metadata:
            metadata[key] = f"{len(metadata[key])} tokens"
    out["metadata"] = metadata
    if "kept" in file:
        out["kept"] = {block: len(units) for block, units in file["kept"].items()}
    return out


def main(arguments):
    as_json = "--json" in arguments
    paths = [a for a in arguments if a != "--json"]
    if len(paths) != 1:
        sys.exit("usage: read_circ_file.py [--json] FILE")
    try:
        found = summary(read(paths[0]))
    except (OSError, ValueError, KeyError) as error:
        sys.exit(f"read_circ_file: {error}")
    if as_json:
        print(json.dumps(found, sort_keys=True))
        return
    print(f"{paths[0]}: {found['format']}, {len(found['tensors'])} tensors")
    for key, value in sorted(found["metadata"].items()):
        print(f"  {key}: {str(value)[:100]}")
    for block, count in found.get("kept", {}).items():
        print(f"  {block}: {count}/{found['tensors'][block][0]} kept")


if __name__ == "__main__":
    main(sys.argv[1:])
