#!/usr/bin/env python3
"""Compile the RASP programs of scripts/tracr/programs.py with Tracr into circ model files.

    python compile_programs.py OUT_DIR [PROGRAM ...]      (in the venv of setup_venv.sh)

For each program (all of them when none is named) it writes OUT_DIR/<program>.safetensors in
circ's Tracr format (the one scripts/convert_tracr_model.py writes, through its write_model,
with a residual_labels entry) and OUT_DIR/data/<program>.tsv: every input of MAX_SEQ_LEN tokens
over VOCAB and the RASP-evaluated target, `source<TAB>target`, space-separated, no BOS. Before
writing, it runs the compiled Tracr model on every input and stops if any output differs from
the RASP evaluation.
"""
import itertools
import os
import sys
from importlib import metadata

import numpy as np
from tracr.compiler import compiling
from tracr.rasp import rasp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import convert_tracr_model  # noqa: E402  (scripts/, beside this folder)
from programs import BOS, MAX_SEQ_LEN, PAD, PROGRAMS, VOCAB  # noqa: E402


class CompileError(Exception):
    """A program that did not compile to a model that computes it."""


def build(name):
    """The program `name`, its expressions numbered from 1 as in a fresh process, so that its
    residual labels do not depend on what was compiled before it."""
    rasp.RASPExpr._ids = itertools.count(1)
    return PROGRAMS[name]()


def inputs():
    """Every sequence of MAX_SEQ_LEN tokens over VOCAB, in lexicographic order."""
    return [list(seq) for seq in itertools.product(sorted(VOCAB), repeat=MAX_SEQ_LEN)]


def unembedding(model, program):
    """The [width, outputs] matrix Tracr's unembedding applies: it projects the residual stream
    onto the program's output directions, labelled `<program label>:<value>`."""
    labels = model.residual_labels
    by_id = sorted(model.output_encoder.encoding_map.items(), key=lambda item: item[1])
    matrix = np.zeros((len(labels), len(by_id)), dtype=np.float32)
    for value, column in by_id:
        label = f"{program.label}:{value}"
        if labels.count(label) != 1:
            raise CompileError(f"{program.label}: output value {value!r} has no single residual dimension {label!r}")
        matrix[labels.index(label), column] = 1
    return matrix


def as_array(value):
    array = np.asarray(value, dtype=np.float64)
    return convert_tracr_model.Array(array.shape, None, array.reshape(-1).tolist())


def model_blob(model, program):
    """The compiled model as the dict of the paper's pickles, which write_model reads."""
    if model.output_encoder is None or not hasattr(model.output_encoder, "encoding_map"):
        raise CompileError(f"{program.label}: the output is numerical; circ reads categorical outputs only")
    params = {f"{module}_{name}": as_array(value)
              for module, values in model.params.items() for name, value in values.items()}
    config = model.model_config
    return {"model_params": params,
            "config": {"num_layers": config.num_layers, "num_heads": config.num_heads,
                       "mlp_hidden_size": config.mlp_hidden_size, "layer_norm": config.layer_norm,
                       "causal": config.causal, "max_seq_len": MAX_SEQ_LEN, "bos": BOS, "pad": PAD},
            "vocab": model.input_encoder.encoding_map, "output_vocab": model.output_encoder.encoding_map,
            "unembedding_mtx": as_array(unembedding(model, program)),
            "residual_labels": list(model.residual_labels)}


def check_outputs(name, model, rows, targets):
    """Runs the compiled model on every row (one batch) and compares with the RASP targets."""
    ids = np.array([model.input_encoder.encode([BOS] + row) for row in rows])
    outputs = np.asarray(model.forward(model.params, ids).unembedded_output)  # argmax ids [B, T]
    decode = {i: v for v, i in model.output_encoder.encoding_map.items()}
    for row, target, out in zip(rows, targets, outputs):
        got = [decode[int(i)] for i in out[1:]]
        if got != target:
            raise CompileError(f"{name}: the compiled model gives {got} for input {row}, RASP gives {target}")


def compile_one(name, out_dir):
    if name not in PROGRAMS:
        raise CompileError(f"no program named {name!r} (programs: {', '.join(PROGRAMS)})")
    program = build(name)
    model = compiling.compile_rasp_to_model(program, vocab=VOCAB, max_seq_len=MAX_SEQ_LEN,
                                            compiler_bos=BOS, compiler_pad=PAD)
    rows = inputs()
    targets = [program(row) for row in rows]
    check_outputs(name, model, rows, targets)
    source = (f"circ scripts/tracr/programs.py {name}, compiled with tracr-pypi "
              f"{metadata.version('tracr-pypi')} (Apache-2.0)")
    summary = convert_tracr_model.write_model(os.path.join(out_dir, f"{name}.safetensors"),
                                              model_blob(model, program), name, source)
    os.makedirs(os.path.join(out_dir, "data"), exist_ok=True)
    with open(os.path.join(out_dir, "data", f"{name}.tsv"), "w") as handle:
        for row, target in zip(rows, targets):
            handle.write(" ".join(map(str, row)) + "\t" + " ".join(map(str, target)) + "\n")
    return summary


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir, names = sys.argv[1], sys.argv[2:] or list(PROGRAMS)
    try:
        os.makedirs(out_dir, exist_ok=True)
        for name in names:
            print(compile_one(name, out_dir))
    except (CompileError, convert_tracr_model.ConversionError) as error:
        sys.exit(f"compile_programs: {error}")
    except OSError as error:
        sys.exit(f"compile_programs: {error.filename}: {error.strerror}")


if __name__ == "__main__":
    main()
