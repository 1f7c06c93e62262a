#!/usr/bin/env python3
"""Tests of compare_models.py: a model with its residual, attention and hidden dimensions shuffled
is found the same, with the shuffle recovered; one changed weight, or a model of another program,
is found different.

    python compare_models_test.py MODEL.safetensors OTHER.safetensors      (NumPy: the tracr venv)
"""
import json
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import safetensors_file  # noqa: E402
from tracr_reference import load  # noqa: E402
import compare_models  # noqa: E402

MODEL = OTHER = None


def shuffled(model, seed):
    """The model's tensors with every permutable dimension in a random order (attention dimensions
    within their head), and the residual order used (new position j holds old dimension order[j])."""
    rng = np.random.default_rng(seed)
    c = model["config"]
    head = c["head_width"]
    orders = {("r",): rng.permutation(c["width"])}
    for layer in range(c["layers"]):
        for kind in ("qk", "ov"):
            orders[(kind, layer)] = np.concatenate([h * head + rng.permutation(head) for h in range(c["heads"])])
        orders[("mlp", layer)] = rng.permutation(c["mlp_width"])
    tensors = compare_models.reordered(model["tensors"], c, lambda *key: orders[key])
    return tensors, orders[("r",)]


def write(path, model, tensors, labels=None):
    metadata = dict(model["meta"])
    metadata.pop("residual_labels", None)
    if labels is not None:
        metadata["residual_labels"] = json.dumps(labels)
    safetensors_file.write(path, {name: (value.shape, value.astype("<f4").tobytes()) for name, value in tensors.items()},
                           metadata)


class CompareModelsTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.model = load(MODEL)

    def tearDown(self):
        self.folder.cleanup()

    def path(self, name):
        return os.path.join(self.folder.name, name)

    def test_shuffled_model_is_the_same_and_the_shuffle_is_recovered(self):
        tensors, order = shuffled(self.model, seed=7)
        labels = [f"old:{j}" for j in order]
        write(self.path("shuffled.safetensors"), self.model, tensors, labels)
        same, lines = compare_models.compare(MODEL, self.path("shuffled.safetensors"))
        self.assertTrue(same, "\n".join(lines))
        moved = [line for line in lines if line.startswith("  A ")]
        for line in moved:  # "  A j (label) = B k (old:j)": B's dimension k was A's dimension j
            a, label = line.split()[1], line.rsplit("(", 1)[1].rstrip(")")
            self.assertEqual(label, f"old:{a}", line)
        self.assertEqual(len(moved), int(np.sum(order != np.arange(len(order)))))

    def test_one_changed_weight_is_found(self):
        tensors, _ = shuffled(self.model, seed=3)
        name = next(n for n in sorted(tensors) if n.startswith("layers.") and np.any(tensors[n] != 0))
        j = tuple(np.argwhere(tensors[name] != 0)[0])
        tensors[name][j] *= 1.5
        write(self.path("changed.safetensors"), self.model, tensors)
        same, lines = compare_models.compare(MODEL, self.path("changed.safetensors"))
        self.assertFalse(same, "\n".join(lines))

    def test_another_program_is_different(self):
        same, lines = compare_models.compare(MODEL, OTHER)
        self.assertFalse(same, "\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    MODEL, OTHER = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1])
