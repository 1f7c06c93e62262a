#!/usr/bin/env python3
"""Convert a checkpoint of the paper's reference implementation (mainlp/circuit-compositions)
into circ's model format: safetensors with the reference's parameter names and circ's metadata.

    python3 scripts/convert_reference_checkpoint.py base_model.ckpt tokenizers.json out.safetensors

Needs only Python's standard library: no PyTorch. A .ckpt is a zip archive holding a pickle and
raw tensor storages. The pickle is read by an unpickler that admits only what a checkpoint needs
(tensor rebuilding, OrderedDict, argparse.Namespace, paths, plain containers) and refuses every
other global, so nothing from the file is ever run.

The tokenizer may be the tokenizers.json the reference's train.py writes ({"input_language":
{"index2word": …}, "output_language": …}), a JSON list of tokens (index = id), an object
{"source": [...], "target": [...]}, or a {token: id} map. See docs/reference_models.md.
"""
import argparse
import collections
import json
import io
import os
import pickle
import struct
import sys
import zipfile
from array import array

import safetensors_file


class ConversionError(Exception):
    """A problem with an input file, worded for the person running the converter."""


class Storage:
    """One raw storage of the archive: its zip entry, element type and element count."""

    def __init__(self, entry, dtype, count):
        self.entry, self.dtype, self.count = entry, dtype, count


class Tensor:
    """A tensor as the pickle describes it: a view (offset, shape, strides) into a storage."""

    def __init__(self, storage, offset, shape, strides):
        self.storage, self.offset, self.shape, self.strides = storage, offset, tuple(shape), tuple(strides)


# Storage classes by their pickled name: (dtype name, bytes per element).
STORAGE_TYPES = {
    "FloatStorage": ("float32", 4), "HalfStorage": ("float16", 2), "BFloat16Storage": ("bfloat16", 2),
    "DoubleStorage": ("float64", 8), "LongStorage": ("int64", 8), "IntStorage": ("int32", 4),
    "ShortStorage": ("int16", 2), "CharStorage": ("int8", 1), "ByteStorage": ("uint8", 1), "BoolStorage": ("bool", 1),
}
CONVERTIBLE = {"float32", "float16", "bfloat16"}


def rebuild_tensor(storage, offset, shape, strides, *_ignored):
    """torch._utils._rebuild_tensor_v2 and _rebuild_tensor, without torch."""
    return Tensor(storage, offset, shape, strides)


def rebuild_path(*parts):
    """pathlib's paths, which pickle as their parts, as plain strings."""
    return os.path.join(*parts) if parts else ""


def rebuild_parameter(data, *_ignored):
    """torch._utils._rebuild_parameter: a parameter is its data."""
    return data


ALLOWED_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("argparse", "Namespace"): argparse.Namespace,
    ("pathlib", "PosixPath"): rebuild_path,
    ("pathlib", "WindowsPath"): rebuild_path,
    ("pathlib", "Path"): rebuild_path,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
}


class CheckpointUnpickler(pickle.Unpickler):
    """Reads a checkpoint's pickle, admitting only the globals a checkpoint needs."""

    def __init__(self, stream, path, folder, entries):
        super().__init__(stream)
        self.path, self.folder, self.entries = path, folder, entries

    def find_class(self, module, name):
        if (module, name) in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[(module, name)]
        if module == "torch" and name in STORAGE_TYPES:
            return STORAGE_TYPES[name]
        raise ConversionError(f"{self.path}: the checkpoint's pickle asks for '{module}.{name}', which a model "
                              "checkpoint does not need; refusing it (nothing from the file is run)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], tuple)):
            raise ConversionError(f"{self.path}: unexpected storage reference {pid!r} in the pickle")
        (dtype, _size), key, _location, count = pid[1], pid[2], pid[3], pid[4]
        entry = f"{self.folder}/data/{key}"
        if entry not in self.entries:
            raise ConversionError(f"{self.path}: storage '{key}' is referenced but missing from the archive")
        return Storage(entry, dtype, count)


def read_checkpoint(path):
    """The unpickled checkpoint and its open archive."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise ConversionError(f"{path}: cannot read: {error.strerror}") from None
    if not zipfile.is_zipfile(path):
        if head[:1] == b"\x80":
            raise ConversionError(f"{path}: this is PyTorch's legacy (zip-less) format; re-save it with a current "
                                  "PyTorch (torch.save(torch.load(f), f)) and convert that file")
        raise ConversionError(f"{path}: not a PyTorch checkpoint (not a zip archive)")
    try:
        archive = zipfile.ZipFile(path)
        entries = set(archive.namelist())
        pickles = [name for name in entries if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            raise ConversionError(f"{path}: expected one <folder>/data.pkl in the archive, found {len(pickles)}")
        folder = pickles[0].split("/")[0]
        byteorder = archive.read(f"{folder}/byteorder").decode() if f"{folder}/byteorder" in entries else "little"
        if byteorder != "little":
            raise ConversionError(f"{path}: tensors are stored {byteorder}-endian; only little-endian is read")
        checkpoint = CheckpointUnpickler(io.BytesIO(archive.read(pickles[0])), path, folder, entries).load()
    except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, KeyError, ValueError, TypeError, IndexError) as error:
        raise ConversionError(f"{path}: damaged checkpoint: {error}") from None
    return checkpoint, archive


def float32_values(tensor, archive, name, path):
    """A tensor's elements, in row-major order, as little-endian float32 bytes."""
    storage = tensor.storage
    if storage.dtype not in CONVERTIBLE:
        raise ConversionError(f"{path}: tensor '{name}' is {storage.dtype}; only float32, float16 and bfloat16 convert")
    size = {"float32": 4, "float16": 2, "bfloat16": 2}[storage.dtype]
    try:
        raw = archive.read(storage.entry)
    except (zipfile.BadZipFile, ValueError) as error:
        raise ConversionError(f"{path}: damaged storage for tensor '{name}': {error}") from None
    if len(raw) < storage.count * size:
        raise ConversionError(f"{path}: storage of tensor '{name}' holds {len(raw)} bytes, {storage.count * size} expected")
    count = 1
    for extent in tensor.shape:
        count *= extent
    indices = element_indices(tensor.offset, tensor.shape, tensor.strides)
    if count and (min(indices) < 0 or max(indices) >= storage.count):
        raise ConversionError(f"{path}: tensor '{name}' reaches outside its storage")
    if storage.dtype == "float32":
        values = array("f", raw[:storage.count * 4])
    elif storage.dtype == "float16":
        values = array("f", struct.unpack(f"<{storage.count}e", raw[:storage.count * 2]))
    else:
        halves = array("H", raw[:storage.count * 2])
        values = array("f", struct.pack(f"<{storage.count}I", *(h << 16 for h in halves)))
    if sys.byteorder != "little":
        values.byteswap()
    contiguous = indices == range(tensor.offset, tensor.offset + count)
    picked = values[tensor.offset:tensor.offset + count] if contiguous else array("f", (values[i] for i in indices))
    return picked.tobytes()


def element_indices(offset, shape, strides):
    """Storage index of each element in row-major order (a range when the tensor is contiguous)."""
    expected, step = [], 1
    for extent in reversed(shape):
        expected.insert(0, step)
        step *= extent
    if all(extent == 1 or stride == want for extent, stride, want in zip(shape, strides, expected)):
        return range(offset, offset + step)
    indices = [offset]
    for extent, stride in zip(shape, strides):
        indices = [base + i * stride for base in indices for i in range(extent)]
    return indices


def load_vocabularies(path):
    """(source tokens, target tokens), index = id, from any of the tokenizer formats."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise ConversionError(f"{path}: cannot read the tokenizer: {error}") from None
    if isinstance(data, list):
        return data, data
    if isinstance(data, dict) and "input_language" in data and "output_language" in data:
        return (reference_language(data["input_language"], path, "input_language"),
                reference_language(data["output_language"], path, "output_language"))
    if isinstance(data, dict) and "source" in data and "target" in data:
        return data["source"], data["target"]
    if isinstance(data, dict) and data and all(isinstance(v, int) for v in data.values()):
        tokens = tokens_by_id({v: k for k, v in data.items()}, path, "the token→id map")
        return tokens, tokens
    raise ConversionError(f"{path}: expected the reference's tokenizers.json, a token list, {{source, target}} lists, or a token→id map")


def reference_language(language, path, key):
    """The tokens of one of the reference's languages, from its index2word; PAD/SOS/EOS renamed to circ's."""
    if not isinstance(language, dict) or not isinstance(language.get("index2word"), dict):
        raise ConversionError(f"{path}: '{key}' has no index2word object")
    try:
        by_id = {int(index): word for index, word in language["index2word"].items()}
    except ValueError:
        raise ConversionError(f"{path}: '{key}.index2word' has a key that is not a number") from None
    tokens = tokens_by_id(by_id, path, f"'{key}.index2word'")
    if tokens[:3] != ["PAD", "SOS", "EOS"]:
        raise ConversionError(f"{path}: '{key}' must start with PAD, SOS, EOS at ids 0, 1, 2 as the reference's does, found {tokens[:3]}")
    return ["<pad>", "<sos>", "<eos>"] + tokens[3:]


def tokens_by_id(by_id, path, what):
    """Tokens ordered by id, or an error naming the first id that is missing."""
    tokens = [by_id.get(i) for i in range(len(by_id))]
    if None in tokens:
        raise ConversionError(f"{path}: {what}: ids are not 0…{len(by_id) - 1}; id {tokens.index(None)} is missing")
    return tokens


def model_tensors(checkpoint, path):
    """The model's tensors by the reference's parameter names (the "model." prefix removed)."""
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ConversionError(f"{path}: no state_dict in the checkpoint")
    tensors = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.") and isinstance(v, Tensor)}
    if not tensors:
        raise ConversionError(f"{path}: no state-dict keys start with 'model.'")
    # circ computes the same sinusoidal table; the reference stores it as a frozen parameter.
    tensors.pop("positional_embedding.pe", None)
    for name in ["input_embedding.weight", "output_embedding.weight", "encoder.layers.0.feed_forward.linear_1.weight"]:
        if name not in tensors:
            raise ConversionError(f"{path}: tensor '{name}' is missing")
    return tensors


def model_config(tensors, checkpoint, source_vocab, target_vocab, path, tokenizer_path):
    """circ's config from the tensor shapes, checked against the tokenizer and the stored hyper-parameters."""
    layers = 1 + max(int(k.split(".")[2]) for k in tensors if k.startswith("encoder.layers."))
    d = tensors["input_embedding.weight"].shape[1]
    ffn = tensors["encoder.layers.0.feed_forward.linear_1.weight"].shape[0]
    shapes = {"input vocabulary": (tensors["input_embedding.weight"].shape[0], len(source_vocab), "input_language"),
              "output vocabulary": (tensors["output_embedding.weight"].shape[0], len(target_vocab), "output_language")}
    for what, (rows, tokens, key) in shapes.items():
        if rows != tokens:
            raise ConversionError(f"the {what} has {rows} rows in {path} but {tokens} tokens in {tokenizer_path} ({key})")
    args = checkpoint.get("hyper_parameters", {}).get("args") if isinstance(checkpoint.get("hyper_parameters"), dict) else None
    if args is not None:
        stored = vars(args) if isinstance(args, argparse.Namespace) else args
        expected = {"layers": layers, "hidden_size": d, "input_vocabulary_size": len(source_vocab),
                    "output_vocabulary_size": len(target_vocab)}
        for key, value in expected.items():
            if key in stored and stored[key] != value:
                raise ConversionError(f"{path}: hyper_parameters say {key}={stored[key]}, the tensors say {value}")
    return {"layers": layers, "d": d, "heads": max(1, d // 64), "ffn": ffn, "dropout": 0.0,
            "source_vocab_size": len(source_vocab), "target_vocab_size": len(target_vocab)}


def write_safetensors(out_path, tensors, archive, metadata, checkpoint_path):
    """Writes the model file atomically, every tensor as F32."""
    try:
        safetensors_file.write(out_path, {name: (list(tensors[name].shape), float32_values(tensors[name], archive, name, checkpoint_path))
                                          for name in tensors}, metadata)
    except OSError as error:
        raise ConversionError(f"{out_path}: cannot write: {error.strerror}") from None


def convert(checkpoint_path, tokenizer_path, out_path):
    """Converts one checkpoint; returns a one-line summary."""
    checkpoint, archive = read_checkpoint(checkpoint_path)
    with archive:
        if not isinstance(checkpoint, dict):
            raise ConversionError(f"{checkpoint_path}: the pickle holds a {type(checkpoint).__name__}, not a checkpoint dict")
        tensors = model_tensors(checkpoint, checkpoint_path)
        source_vocab, target_vocab = load_vocabularies(tokenizer_path)
        config = model_config(tensors, checkpoint, source_vocab, target_vocab, checkpoint_path, tokenizer_path)
        metadata = {"format": "circ-model-1", "config": json.dumps(config, sort_keys=True),
                    "source_vocab": json.dumps(source_vocab), "target_vocab": json.dumps(target_vocab),
                    "converted_from": os.path.basename(checkpoint_path)}
        write_safetensors(out_path, tensors, archive, metadata, checkpoint_path)
    return f"wrote {out_path}: {config['layers']} layers, d={config['d']}, {len(tensors)} tensors"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        print(convert(*sys.argv[1:]))
    except ConversionError as error:
        sys.exit(f"convert_reference_checkpoint: {error}")


if __name__ == "__main__":
    main()
