#!/usr/bin/env python3
"""Make the reference-model fixture (Tests/Fixtures/reference-model) with the paper's own code.

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch lightning wandb numpy tqdm
    /tmp/refvenv/bin/python scripts/make_reference_fixture.py PAPER_CODE_DIR Tests/Fixtures/reference-model

PAPER_CODE_DIR is the `code` folder of mainlp/circuit-compositions. The script copies it to a
scratch folder, writes a small PCFG SET-style train.csv/test.csv where its train.py reads them,
runs that train.py unchanged (1 layer, d=64, a few epochs), and copies out what train.py saved:
base_model.ckpt and tokenizers.json. It then decodes 20 test inputs with the reference's own
GreedySearch and writes them, with their token ids, to greedy_outputs.json.

d=64 is the smallest width the reference accepts: its attention uses d // 64 heads, so a narrower
model stops with a division by zero. Run once, by hand; the tests only read what it wrote.
"""
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LETTERS = ["A1", "B1", "C1", "D1", "E1", "F1", "G1", "H1"]
FUNCTIONS = {
    "copy": lambda xs: xs,
    "reverse": lambda xs: xs[::-1],
    "echo": lambda xs: xs + xs[-1:],
    "repeat": lambda xs: xs + xs,
    "swap_first_last": lambda xs: xs[-1:] + xs[1:-1] + xs[:1] if len(xs) > 1 else xs,
}


def samples(count, rng):
    """`count` lines "function letters ; output" over a small vocabulary."""
    lines = []
    for _ in range(count):
        name = rng.choice(sorted(FUNCTIONS))
        letters = [rng.choice(LETTERS) for _ in range(rng.randint(1, 5))]
        lines.append(f"{name} {' '.join(letters)} ; {' '.join(FUNCTIONS[name](letters))}")
    return lines


def train(code, scratch):
    """Runs the reference's train.py on the small data; returns the folder it saved into."""
    data = scratch / "data" / "PCFGS"
    data.mkdir(parents=True)
    rng = random.Random(1860)
    (data / "train.csv").write_text("\n".join(samples(3000, rng)) + "\n", encoding="utf-8")
    (data / "test.csv").write_text("\n".join(samples(100, rng)) + "\n", encoding="utf-8")
    shutil.copytree(code, scratch / "code")
    subprocess.run([sys.executable, "train.py", "--save_path", str(scratch / "models"), "--layers", "1",
                    "--hidden_size", "64", "--epochs", "6", "--lr", "2e-3", "--dropout", "0.0",
                    "--train_batch_size", "32", "--seed", "1860"],
                   cwd=scratch / "code", check=True)
    return scratch / "models" / "pcfgs_base", data / "test.csv"


def greedy_outputs(code, model_dir, test_csv):
    """The reference's GreedySearch on the first 20 test inputs: source, sentence and token ids."""
    sys.path.insert(0, str(code))
    import torch
    from comp_rep.data_prep.dataset import CollateFunctor, SequenceDataset
    from comp_rep.eval.decoding import GreedySearch
    from comp_rep.models.lightning_models import LitTransformer
    from comp_rep.utils import load_tokenizer

    tokenizer = load_tokenizer(model_dir)
    dataset = SequenceDataset(path=test_csv, tokenizer=tokenizer)
    model = LitTransformer.load_from_checkpoint(model_dir / "base_model.ckpt", map_location="cpu", weights_only=False).model
    searcher = GreedySearch(model, dataset.output_language)
    items = [dataset[i] for i in range(20)]
    batch = CollateFunctor()(items)
    sentences, target = searcher(batch[0], batch[1])
    records = []
    for item, sentence, row in zip(items, sentences, target.tolist()):
        ids = []
        for token in row[1:]:
            if token == 2:
                break
            ids.append(token)
        records.append({"source": item[-2], "expected": item[-1], "reference_output": sentence.strip(), "reference_ids": ids})
    return records


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    code, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        model_dir, test_csv = train(code, Path(folder))
        shutil.copy(model_dir / "base_model.ckpt", out / "base_model.ckpt")
        shutil.copy(model_dir / "tokenizers.json", out / "tokenizers.json")
        records = greedy_outputs(Path(folder) / "code", model_dir, test_csv)
    (out / "greedy_outputs.json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    right = sum(r["reference_output"] == r["expected"] for r in records)
    print(f"wrote {out}: base_model.ckpt, tokenizers.json, greedy_outputs.json ({right}/20 outputs correct)")


if __name__ == "__main__":
    main()
