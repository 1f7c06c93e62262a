#!/usr/bin/env python3
"""Tests of convert_reference_checkpoint.py on hand-made archives, with no PyTorch installed.

    python3 -S scripts/convert_reference_checkpoint_test.py

Checkpoints are written the way torch.save writes them (a zip with archive/data.pkl, whose
tensors are torch._utils._rebuild_tensor_v2 calls over storages in archive/data/<key>), by a
pickler that stands in for torch with look-alike module objects. Run by the Swift test suite.
"""
import argparse
import collections
import json
import os
import pickle
import struct
import sys
import tempfile
import types
import unittest
import zipfile
from array import array

import convert_reference_checkpoint as converter


def fake_torch():
    """Modules named torch and torch._utils holding the globals a checkpoint pickles."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
    for name in ["FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage"]:
        setattr(torch, name, type(name, (), {"__module__": "torch"}))

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called when writing")
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    sys.modules.setdefault("torch", torch)
    sys.modules.setdefault("torch._utils", utils)
    return sys.modules["torch"], sys.modules["torch._utils"]


class StoredTensor:
    """A tensor to pickle: a view of storage `key`."""

    def __init__(self, key, storage_type, count, offset, shape, strides):
        self.key, self.storage_type, self.count = key, storage_type, count
        self.offset, self.shape, self.strides = offset, shape, strides

    def __reduce__(self):
        _, utils = fake_torch()
        return utils._rebuild_tensor_v2, (StorageRef(self), self.offset, self.shape, self.strides, False, collections.OrderedDict())


class StorageRef:
    """Stands for a storage; the pickler turns it into a persistent id."""

    def __init__(self, tensor):
        self.tensor = tensor


class CheckpointPickler(pickle.Pickler):
    """Pickles storages as torch.save does: ('storage', type, key, location, count)."""

    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            t = obj.tensor
            return ("storage", t.storage_type, t.key, "cpu", t.count)
        return None


def write_checkpoint(path, state, storages, extra=None, pickled=None):
    """A zip checkpoint holding `state` (name → StoredTensor) and raw storages (key → bytes)."""
    import io
    buffer = io.BytesIO()
    CheckpointPickler(buffer, protocol=2).dump(pickled if pickled is not None else {"state_dict": state, **(extra or {})})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/byteorder", "little")
        for key, raw in storages.items():
            archive.writestr(f"archive/data/{key}", raw)


def read_safetensors(path):
    """name → (shape, float list) of a safetensors file, and its metadata."""
    with open(path, "rb") as handle:
        length = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(length))
        data = handle.read()
    metadata = header.pop("__metadata__")
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        tensors[name] = (entry["shape"], array("f", data[start:end]).tolist())
    return tensors, metadata


class ConverterTests(unittest.TestCase):
    """The converter on well-formed, odd and hostile checkpoints."""

    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.torch, _ = fake_torch()

    def tearDown(self):
        self.folder.cleanup()

    def path(self, name):
        return os.path.join(self.folder.name, name)

    def minimal_model(self, d=2, vocab=4, storage_type=None, pack=None):
        """The tensors the converter insists on, each in its own float storage, as (state, storages)."""
        storage_type = storage_type or self.torch.FloatStorage
        pack = pack or (lambda values: struct.pack(f"<{len(values)}f", *values))
        shapes = {"model.input_embedding.weight": [vocab, d], "model.output_embedding.weight": [vocab, d],
                  "model.encoder.layers.0.feed_forward.linear_1.weight": [8 * d, d]}
        state, storages = collections.OrderedDict(), {}
        for key, (name, shape) in enumerate(shapes.items()):
            count = shape[0] * shape[1]
            state[name] = StoredTensor(str(key), storage_type, count, 0, tuple(shape), (shape[1], 1))
            storages[str(key)] = pack([float(i) for i in range(count)])
        return state, storages

    def tokenizer(self, vocab=4):
        words = ["PAD", "SOS", "EOS"] + [f"w{i}" for i in range(vocab - 3)]
        language = {"index2word": {str(i): w for i, w in enumerate(words)}, "word2index": {w: i for i, w in enumerate(words)}}
        with open(self.path("tokenizers.json"), "w") as handle:
            json.dump({"input_language": language, "output_language": language}, handle)
        return self.path("tokenizers.json")

    def convert(self, checkpoint, tokenizer=None):
        out = self.path("out.safetensors")
        converter.convert(checkpoint, tokenizer or self.tokenizer(), out)
        return read_safetensors(out)

    def test_reference_tokenizer_and_hyper_parameters_are_read(self):
        state, storages = self.minimal_model()
        args = argparse.Namespace(layers=1, hidden_size=2, input_vocabulary_size=4, output_vocabulary_size=4)
        write_checkpoint(self.path("m.ckpt"), state, storages, {"hyper_parameters": {"args": args}})
        tensors, metadata = self.convert(self.path("m.ckpt"))
        self.assertEqual(json.loads(metadata["source_vocab"]), ["<pad>", "<sos>", "<eos>", "w0"])
        self.assertEqual(json.loads(metadata["config"])["d"], 2)
        self.assertEqual(tensors["input_embedding.weight"], ([4, 2], [float(i) for i in range(8)]))

    def test_hyper_parameters_that_disagree_with_the_tensors_are_named(self):
        state, storages = self.minimal_model()
        args = argparse.Namespace(layers=1, hidden_size=64, input_vocabulary_size=4, output_vocabulary_size=4)
        write_checkpoint(self.path("m.ckpt"), state, storages, {"hyper_parameters": {"args": args}})
        with self.assertRaisesRegex(converter.ConversionError, "hidden_size=64, the tensors say 2"):
            self.convert(self.path("m.ckpt"))

    def test_a_tokenizer_of_the_wrong_size_names_both_files(self):
        state, storages = self.minimal_model()
        write_checkpoint(self.path("m.ckpt"), state, storages)
        with self.assertRaisesRegex(converter.ConversionError, "4 rows in .*m.ckpt but 5 tokens in .*tokenizers.json"):
            self.convert(self.path("m.ckpt"), self.tokenizer(vocab=5))

    def test_half_and_bfloat16_storages_become_float32(self):
        for storage_type, pack in [(self.torch.HalfStorage, lambda v: struct.pack(f"<{len(v)}e", *v)),
                                   (self.torch.BFloat16Storage, lambda v: b"".join(struct.pack("<f", x)[2:] for x in v))]:
            state, storages = self.minimal_model(storage_type=storage_type, pack=pack)
            write_checkpoint(self.path("m.ckpt"), state, storages)
            tensors, _ = self.convert(self.path("m.ckpt"))
            self.assertEqual(tensors["output_embedding.weight"][1], [float(i) for i in range(8)], storage_type.__name__)

    def test_offsets_and_non_contiguous_views_are_gathered(self):
        state, storages = self.minimal_model()
        # A [4, 2] view of a 10-element storage, from element 2, transposed: element (i, j) is 2 + j*4 + i.
        storages["9"] = struct.pack("<10f", *[float(i) for i in range(10)])
        state["model.input_embedding.weight"] = StoredTensor("9", self.torch.FloatStorage, 10, 2, (4, 2), (1, 4))
        write_checkpoint(self.path("m.ckpt"), state, storages)
        tensors, _ = self.convert(self.path("m.ckpt"))
        self.assertEqual(tensors["input_embedding.weight"][1], [2.0, 6.0, 3.0, 7.0, 4.0, 8.0, 5.0, 9.0])

    def test_a_view_outside_its_storage_is_refused(self):
        state, storages = self.minimal_model()
        state["model.input_embedding.weight"].offset = 5
        write_checkpoint(self.path("m.ckpt"), state, storages)
        with self.assertRaisesRegex(converter.ConversionError, "'input_embedding.weight' reaches outside its storage"):
            self.convert(self.path("m.ckpt"))

    def test_integer_weights_are_refused_by_name(self):
        state, storages = self.minimal_model()
        state["model.input_embedding.weight"].storage_type = self.torch.LongStorage
        storages["0"] = struct.pack("<8q", *range(8))
        write_checkpoint(self.path("m.ckpt"), state, storages)
        with self.assertRaisesRegex(converter.ConversionError, "'input_embedding.weight' is int64"):
            self.convert(self.path("m.ckpt"))

    def test_a_pickle_asking_for_another_global_is_refused_and_not_run(self):
        marker = self.path("ran")

        class Hostile:
            def __reduce__(self):
                return os.system, (f"touch {marker}",)
        write_checkpoint(self.path("m.ckpt"), {}, {}, pickled={"state_dict": Hostile()})
        with self.assertRaisesRegex(converter.ConversionError, r"asks for '(os|posix)\.system'.*refusing"):
            self.convert(self.path("m.ckpt"))
        self.assertFalse(os.path.exists(marker))

    def test_damaged_archives_fail_clearly(self):
        state, storages = self.minimal_model()
        write_checkpoint(self.path("m.ckpt"), state, storages)
        with open(self.path("m.ckpt"), "rb") as handle:
            whole = handle.read()
        with open(self.path("truncated.ckpt"), "wb") as handle:
            handle.write(whole[:len(whole) // 2])
        with self.assertRaisesRegex(converter.ConversionError, "truncated.ckpt: not a PyTorch checkpoint"):
            self.convert(self.path("truncated.ckpt"))
        # Flip a byte of the first storage: its CRC no longer matches.
        at = whole.index(struct.pack("<8f", *[float(i) for i in range(8)])) + 5
        with open(self.path("flipped.ckpt"), "wb") as handle:
            handle.write(whole[:at] + bytes([whole[at] ^ 0xFF]) + whole[at + 1:])
        with self.assertRaisesRegex(converter.ConversionError, "flipped.ckpt: damaged storage for tensor"):
            self.convert(self.path("flipped.ckpt"))
        del storages["1"]
        write_checkpoint(self.path("missing.ckpt"), state, storages)
        with self.assertRaisesRegex(converter.ConversionError, "storage '1' is referenced but missing"):
            self.convert(self.path("missing.ckpt"))

    def test_the_legacy_format_asks_for_a_resave(self):
        with open(self.path("legacy.ckpt"), "wb") as handle:
            handle.write(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2))
        with self.assertRaisesRegex(converter.ConversionError, "legacy .*re-save it with a current PyTorch"):
            self.convert(self.path("legacy.ckpt"))

    def test_nothing_is_left_behind_when_conversion_fails(self):
        state, storages = self.minimal_model()
        state["model.input_embedding.weight"].offset = 5
        write_checkpoint(self.path("m.ckpt"), state, storages)
        with self.assertRaises(converter.ConversionError):
            self.convert(self.path("m.ckpt"))
        self.assertEqual(sorted(os.listdir(self.folder.name)), ["m.ckpt", "tokenizers.json"])


if __name__ == "__main__":
    unittest.main()
