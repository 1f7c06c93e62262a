#!/usr/bin/env python3
"""Convert a Tracr-compiled model, as the paper's repository ships it (mainlp/circuit-compositions,
tracr_models/<task>/tracr_model_<task>.pkl), into circ's model format: safetensors + metadata.

    python3 scripts/convert_tracr_model.py IN.pkl OUT.safetensors

Python's standard library only (no NumPy). The .pkl is a pickle of a dict
{model_params, config, vocab, unembedding_mtx} whose arrays are NumPy arrays. It is read by an
unpickler that admits only the globals that rebuild a NumPy array: numpy's _reconstruct, ndarray
and dtype (all the paper's files use), scalar, and _frombuffer (pickle protocol 5), under both
numpy.core and numpy._core. Each is replaced by a stand-in of ours that decodes the array from its
raw bytes (shape, dtype, byte order, C or Fortran order); every other global is refused by name.
Nothing in the file is ever run.

Tensors written (all F32; every weight is stored [out, in], so a linear map is y = x @ W^T):
  token_embedding                  [vocab, d]        row i = embedding of input token id i
  position_embedding               [positions, d]    row p = embedding of position p (BOS is at 0);
                                                     positions = max_seq_len + 1 = 5 in the paper's files
  layers.{i}.attention.query       [heads*d_head, d] head h uses rows h*d_head ... (h+1)*d_head-1
  layers.{i}.attention.key         [heads*d_head, d]
  layers.{i}.attention.value       [heads*d_head, d]
  layers.{i}.attention.output      [d, heads*d_head]
  layers.{i}.attention.{query,key,value,output}_bias   [heads*d_head] / [d], when the file has them
  layers.{i}.mlp.hidden            [mlp, d]
  layers.{i}.mlp.hidden_bias       [mlp]
  layers.{i}.mlp.output            [d, mlp]
  layers.{i}.mlp.output_bias       [d]
  unembedding                      [vocab_out, d]    logits = residual @ unembedding^T

Tracr (Haiku) stores linear weights [in, out] (y = x @ w), and so does the pickle:
query_w/key_w/value_w are [d, heads*d_head], linear_w [heads*d_head, d], linear_1_w [d, mlp],
linear_2_w [mlp, d], unembedding_mtx [d, vocab_out]. The paper's nanoGPT.py loads them into
torch Linear layers as w.T, and lm_head.weight = unembedding_mtx.T; we transpose the same way.

Metadata: format "circ-model-1"; config (JSON, sorted keys: family "tracr", layers, width, heads,
head_width, mlp_width, max_length = rows of position_embedding (BOS included), layer_norm, causal,
vocabulary, output_vocabulary);
source_vocab / target_vocab (JSON lists of token strings, index = id); bos; pad; source;
residual_labels (JSON list of `width` strings, Tracr's label of each residual dimension such as
"reverse_1:3") when the model carries them (the paper's pickles do not; scripts/tracr/ writes them).
"""
import json
import os
import pickle
import re
import struct
import sys

import safetensors_file


class ConversionError(Exception):
    """A problem with an input file, worded for the person running the converter."""


# ---------------------------------------------------------------------------------------------
# Stand-ins for the NumPy globals a pickled array needs.

class DType:
    """numpy.dtype(code, align, copy), then BUILD with (version, byteorder, subarray, names, ...)."""

    def __init__(self, code, align=False, copy=True):
        if not isinstance(code, str):
            raise ConversionError(f"unsupported dtype description {code!r}")
        self.code = code
        self.byteorder = "="

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 5:
            raise ConversionError(f"unexpected dtype state {state!r}")
        self.byteorder = state[1]
        if state[2] is not None or state[3] is not None or state[4] is not None:
            raise ConversionError(f"structured or subarray dtypes are not supported ({self.code})")

    # struct format character and element size by NumPy type code
    KINDS = {"f2": "e", "f4": "f", "f8": "d", "i1": "b", "i2": "h", "i4": "i", "i8": "q",
             "u1": "B", "u2": "H", "u4": "I", "u8": "Q", "b1": "?"}

    def struct_format(self):
        if self.code not in self.KINDS:
            raise ConversionError(f"unsupported dtype {self.code!r}")
        order = ">" if self.byteorder == ">" else "<"  # '<', '|' (one byte) and '=' (x86 files) are little
        return order, self.KINDS[self.code]


class NDArrayClass:
    """numpy.ndarray: only ever passed to _reconstruct as the subtype."""


class Array:
    """A NumPy array decoded from its raw bytes: shape and a flat list of values in C order."""

    def __init__(self, shape=(), dtype=None, values=None):
        self.shape, self.dtype, self.values = tuple(shape), dtype, values

    def __setstate__(self, state):
        # ndarray.__reduce__ state: (version, shape, dtype, is_fortran, rawdata)
        if not isinstance(state, tuple) or len(state) != 5:
            raise ConversionError(f"unexpected ndarray state of length {len(state)}")
        _version, shape, dtype, is_fortran, raw = state
        if not isinstance(dtype, DType):
            raise ConversionError("ndarray state without a dtype")
        if not isinstance(raw, (bytes, bytearray)):
            raise ConversionError(f"ndarray of dtype {dtype.code} holds Python objects, not raw data")
        order, kind = dtype.struct_format()
        count = 1
        for n in shape:
            count *= n
        size = struct.calcsize("<" + kind)
        if len(raw) != count * size:
            raise ConversionError(f"ndarray of shape {shape} and dtype {dtype.code} has {len(raw)} bytes")
        flat = list(struct.unpack(f"{order}{count}{kind}", raw))
        if is_fortran and len(shape) > 1:
            flat = fortran_to_c(flat, shape)
        self.shape, self.dtype, self.values = tuple(shape), dtype, flat

    def rows(self):
        """For a 2-D array: list of rows."""
        if len(self.shape) != 2:
            raise ConversionError(f"expected a matrix, got shape {self.shape}")
        n, m = self.shape
        return [self.values[i * m:(i + 1) * m] for i in range(n)]


def fortran_to_c(flat, shape):
    """Reorders column-major values into row-major order."""
    count = len(flat)
    out = [None] * count
    for c_index in range(count):
        rest, f_index, stride = c_index, 0, 1
        coords = []
        for n in reversed(shape):
            coords.append(rest % n)
            rest //= n
        coords.reverse()
        for axis, n in enumerate(shape):
            f_index += coords[axis] * stride
            stride *= n
        out[c_index] = flat[f_index]
    return out


def reconstruct(subtype, shape, typecode):
    """numpy.core.multiarray._reconstruct: an empty array, filled in by BUILD."""
    if subtype is not NDArrayClass:
        raise ConversionError("_reconstruct of something other than numpy.ndarray")
    return Array()


def frombuffer(raw, dtype, shape, order):
    """numpy.core.numeric._frombuffer, which pickle protocol 5 uses for arrays."""
    if isinstance(raw, pickle.PickleBuffer):
        raw = bytes(raw.raw())
    array = Array()
    array.__setstate__((1, tuple(shape), dtype, order == "F", raw))
    return array


def scalar(dtype, raw):
    """numpy.core.multiarray.scalar: a NumPy scalar, as a Python number."""
    if not isinstance(dtype, DType) or not isinstance(raw, (bytes, bytearray)):
        raise ConversionError("unsupported NumPy scalar")
    order, kind = dtype.struct_format()
    return struct.unpack(order + kind, raw)[0]


ALLOWED_GLOBALS = {}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    ALLOWED_GLOBALS[(_module, "_reconstruct")] = reconstruct
    ALLOWED_GLOBALS[(_module, "scalar")] = scalar
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    ALLOWED_GLOBALS[(_module, "_frombuffer")] = frombuffer
ALLOWED_GLOBALS[("numpy", "ndarray")] = NDArrayClass
ALLOWED_GLOBALS[("numpy", "dtype")] = DType


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise ConversionError(f"the pickle refers to {module}.{name}, which this converter does not "
                                  f"admit (only NumPy array rebuilding is allowed)") from None

    def persistent_load(self, pid):
        raise ConversionError("the pickle uses persistent ids, which this converter does not admit")


def read_pickle(path):
    try:
        with open(path, "rb") as handle:
            return RestrictedUnpickler(handle).load()
    except OSError as error:
        raise ConversionError(f"{path}: cannot read: {error.strerror}") from None
    except ConversionError as error:
        raise ConversionError(f"{path}: {error}") from None
    except (pickle.UnpicklingError, EOFError, struct.error, TypeError, ValueError) as error:
        raise ConversionError(f"{path}: not a readable pickle: {error}") from None


# ---------------------------------------------------------------------------------------------
# From the pickle to tensors.

def transposed(array):
    """A 2-D Array transposed, as (shape, flat values)."""
    n, m = array.shape
    v = array.values
    return (m, n), [v[i * m + j] for j in range(m) for i in range(n)]


def as_is(array):
    return tuple(array.shape), list(array.values)


def vocabulary_list(mapping, path, what):
    """A {token: id} map as a list of token strings, index = id."""
    if not isinstance(mapping, dict):
        raise ConversionError(f"{path}: {what} is a {type(mapping).__name__}, not a {{token: id}} dict")
    ids = sorted(mapping.values())
    if ids != list(range(len(ids))):
        raise ConversionError(f"{path}: {what} ids are not 0..{len(ids) - 1}")
    by_id = {i: t for t, i in mapping.items()}
    return [str(by_id[i]) for i in range(len(ids))]


def model_tensors(blob, path):
    if not isinstance(blob, dict):
        raise ConversionError(f"{path}: the pickle holds a {type(blob).__name__}, not a dict")
    for key in ("model_params", "config", "vocab", "unembedding_mtx"):
        if key not in blob:
            raise ConversionError(f"{path}: no '{key}' entry (found {sorted(blob)})")
    params, config = blob["model_params"], blob["config"]

    def param(name):
        if name not in params:
            raise ConversionError(f"{path}: model_params has no '{name}'")
        value = params[name]
        if not isinstance(value, Array):
            raise ConversionError(f"{path}: model_params['{name}'] is not an array")
        return value

    layers = config["num_layers"]
    heads = config["num_heads"]
    tok, pos = param("token_embed_embeddings"), param("pos_embed_embeddings")
    vocab_in, d = tok.shape
    tensors = {"token_embedding": as_is(tok), "position_embedding": as_is(pos)}
    if pos.shape[1] != d:
        raise ConversionError(f"{path}: position embeddings are {pos.shape}, token embeddings {tok.shape}")
    head_total = mlp = None
    for i in range(layers):
        prefix = f"transformer/layer_{i}"
        for ours, theirs in (("query", "query"), ("key", "key"), ("value", "value")):
            w = param(f"{prefix}/attn/{theirs}_w")
            if w.shape[0] != d:
                raise ConversionError(f"{path}: {theirs}_w of layer {i} is {w.shape}, expected [{d}, heads*d_head]")
            head_total = w.shape[1] if head_total is None else head_total
            if w.shape[1] != head_total:
                raise ConversionError(f"{path}: {theirs}_w of layer {i} is {w.shape}; heads*d_head differs")
            tensors[f"layers.{i}.attention.{ours}"] = transposed(w)
            bias_name = f"{prefix}/attn/{theirs}_b"
            if bias_name in params:
                tensors[f"layers.{i}.attention.{ours}_bias"] = as_is(param(bias_name))
        o = param(f"{prefix}/attn/linear_w")
        if o.shape != (head_total, d):
            raise ConversionError(f"{path}: linear_w of layer {i} is {o.shape}, expected ({head_total}, {d})")
        tensors[f"layers.{i}.attention.output"] = transposed(o)
        if f"{prefix}/attn/linear_b" in params:
            tensors[f"layers.{i}.attention.output_bias"] = as_is(param(f"{prefix}/attn/linear_b"))
        up, down = param(f"{prefix}/mlp/linear_1_w"), param(f"{prefix}/mlp/linear_2_w")
        mlp = up.shape[1] if mlp is None else mlp
        if up.shape != (d, mlp) or down.shape != (mlp, d):
            raise ConversionError(f"{path}: MLP of layer {i} is {up.shape} / {down.shape}, expected ({d}, {mlp}) / ({mlp}, {d})")
        tensors[f"layers.{i}.mlp.hidden"] = transposed(up)
        tensors[f"layers.{i}.mlp.output"] = transposed(down)
        for ours, theirs, n in (("hidden_bias", "linear_1_b", mlp), ("output_bias", "linear_2_b", d)):
            name = f"{prefix}/mlp/{theirs}"
            bias = as_is(param(name)) if name in params else ((n,), [0.0] * n)
            tensors[f"layers.{i}.mlp.{ours}"] = bias
    if head_total % heads:
        raise ConversionError(f"{path}: heads*d_head = {head_total} is not a multiple of {heads} heads")
    if config.get("mlp_hidden_size", mlp) != mlp:
        raise ConversionError(f"{path}: config says mlp_hidden_size {config['mlp_hidden_size']}, weights say {mlp}")
    unembed = blob["unembedding_mtx"]
    if not isinstance(unembed, Array) or len(unembed.shape) != 2 or unembed.shape[0] != d:
        raise ConversionError(f"{path}: unembedding_mtx is not a [{d}, vocab_out] matrix")
    tensors["unembedding"] = transposed(unembed)

    source_vocab = vocabulary_list(blob["vocab"], path, "vocab")
    if len(source_vocab) != vocab_in:
        raise ConversionError(f"{path}: vocab has {len(source_vocab)} tokens, the embedding {vocab_in} rows")
    vocab_out = unembed.shape[1]
    if "output_vocab" in blob:
        target_vocab = vocabulary_list(blob["output_vocab"], path, "output_vocab")
    else:
        # Tracr's categorical output space is the input vocabulary without BOS and pad, in id order
        # (the paper's tokenizer decodes predictions with the input vocabulary, nanoGPT.py says
        # "Unembedding is essentially the token embeddings without padding and bos tokens").
        target_vocab = [t for t in source_vocab if t not in (config["bos"], config["pad"])]
    if len(target_vocab) != vocab_out:
        raise ConversionError(f"{path}: the unembedding has {vocab_out} outputs but the output vocabulary "
                              f"derived from vocab has {len(target_vocab)}: {target_vocab}")
    model_config = {"family": "tracr", "layers": layers, "width": d, "heads": heads,
                    "head_width": head_total // heads, "mlp_width": mlp, "max_length": pos.shape[0],
                    "layer_norm": bool(config["layer_norm"]), "causal": bool(config["causal"]),
                    "vocabulary": vocab_in, "output_vocabulary": vocab_out}
    if model_config["layer_norm"]:
        raise ConversionError(f"{path}: layer norm is on, but the pickle holds no layer-norm weights")
    labels = blob.get("residual_labels") or config.get("residual_labels")
    return tensors, model_config, source_vocab, target_vocab, labels


def float32_bytes(values):
    return struct.pack(f"<{len(values)}f", *[float(v) for v in values])


def write_safetensors(out_path, tensors, metadata):
    """Writes the model file atomically ({name: (shape, values)} as F32)."""
    try:
        safetensors_file.write(out_path, {name: (shape, float32_bytes(values)) for name, (shape, values) in tensors.items()}, metadata)
    except OSError as error:
        raise ConversionError(f"{out_path}: cannot write: {error.strerror}") from None


def write_model(out_path, blob, name, source):
    """Writes a Tracr model given as the pickle's dict (arrays as Array; optional "output_vocab" and
    "residual_labels" entries) to `out_path` in circ's format, with `source` as its provenance.
    `name` names the model in errors. Returns a one-line summary."""
    tensors, config, source_vocab, target_vocab, labels = model_tensors(blob, name)
    metadata = {"format": "circ-model-1", "config": json.dumps(config, sort_keys=True),
                "source_vocab": json.dumps(source_vocab), "target_vocab": json.dumps(target_vocab),
                "bos": str(blob["config"]["bos"]), "pad": str(blob["config"]["pad"]), "source": source}
    if labels:
        if len(labels) != config["width"]:
            raise ConversionError(f"{name}: {len(labels)} residual labels for width {config['width']}")
        metadata["residual_labels"] = json.dumps([str(label) for label in labels])
    write_safetensors(out_path, tensors, metadata)
    return (f"wrote {out_path}: {config['layers']} layers, d={config['width']}, "
            f"{config['heads']}x{config['head_width']} heads, mlp {config['mlp_width']}, {len(tensors)} tensors")


def convert(in_path, out_path):
    blob = read_pickle(in_path)
    base = os.path.basename(in_path)
    task = re.fullmatch(r"tracr_model_(.+)\.pkl", base)
    where = f"tracr_models/{task.group(1)}/{base}" if task else base
    return write_model(out_path, blob, in_path, f"mainlp/circuit-compositions {where} (licence CC BY-SA 4.0)")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        print(convert(sys.argv[1], sys.argv[2]))
    except ConversionError as error:
        sys.exit(f"convert_tracr_model: {error}")


if __name__ == "__main__":
    main()
