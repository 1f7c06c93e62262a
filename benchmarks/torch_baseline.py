#!/usr/bin/env python3
"""The PyTorch side of circ-bench's engine figures: the same encoder–decoder (pre-LayerNorm,
GLU feed-forward, d/64 heads), batch 64, source 40, target 30, vocabulary 560, dropout 0,
2 threads. Prints JSON lines {"layers","d","what","ms"} for `train_step` (forward, loss, backward,
clipping, AdamW), `mask_step` (circuit discovery's step on node masks, weights frozen) and
`greedy_uncached` (30 tokens; the source encoded once, the decoder rerun on the
whole prefix each step). circ-bench runs it for its in-run ratios. Needs torch; circ does not.

    python3 benchmarks/torch_baseline.py --configs 1x64,2x128,3x256 [--only train_step,mask_step]
"""
import argparse
import json
import time

import torch
from torch import nn


class GLUFeedForward(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(d, 8 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        a, gate = self.linear_1(x).chunk(2, dim=-1)
        return self.linear_2(a * nn.functional.gelu(gate))


class Layer(nn.Module):
    def __init__(self, d, cross):
        super().__init__()
        heads = max(1, d // 64)
        self.self_attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.cross_attention = nn.MultiheadAttention(d, heads, batch_first=True) if cross else None
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3 if cross else 2))
        self.feed_forward = GLUFeedForward(d)

        self.mask_logits = None

    def add_node_masks(self, d, initial=0.05):
        """One mask logit per unit of each block output, as circuit discovery trains them."""
        blocks = 3 if self.cross_attention is not None else 2
        self.mask_logits = nn.ParameterList(nn.Parameter(torch.full((d,), initial)) for _ in range(blocks))
        self.register_buffer("ablation", torch.zeros(blocks, d))
        self.temperature = 1.0

    def masked(self, block, out):
        if self.mask_logits is None:
            return out
        m = torch.sigmoid(self.temperature * self.mask_logits[block])
        return out * m + (1 - m) * self.ablation[block]

    def forward(self, x, memory=None, causal=None):
        h = self.norms[0](x)
        x = x + self.masked(0, self.self_attention(h, h, h, attn_mask=causal, need_weights=False)[0])
        if self.cross_attention is not None:
            h = self.norms[1](x)
            x = x + self.masked(1, self.cross_attention(h, memory, memory, need_weights=False)[0])
        return x + self.masked(-1, self.feed_forward(self.norms[-1](x)))


class Model(nn.Module):
    def __init__(self, layers, d, vocab):
        super().__init__()
        self.input_embedding, self.output_embedding = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        self.encoder = nn.ModuleList(Layer(d, False) for _ in range(layers))
        self.decoder = nn.ModuleList(Layer(d, True) for _ in range(layers))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.projection = nn.Linear(d, vocab)

    def forward(self, src, tgt):
        return self.decode(self.encode(src), tgt)

    def encode(self, src):
        x = 2 * self.input_embedding(src)
        for layer in self.encoder:
            x = layer(x)
        return self.encoder_norm(x)

    def decode(self, memory, tgt):
        causal = torch.triu(torch.full((tgt.shape[1], tgt.shape[1]), float("-inf")), diagonal=1)
        y = 2 * self.output_embedding(tgt)
        for layer in self.decoder:
            y = layer(y, memory, causal)
        return self.projection(self.decoder_norm(y))


def best_ms(repeats, body):
    """Best wall time of `repeats` runs after one warm-up, in milliseconds."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return round(min(times[1:]) * 1000, 2)


def train_step(model, optimizer, src, tgt_in, tgt_out):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(src, tgt_in).reshape(-1, 560), tgt_out.reshape(-1))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()


def mask_step(model, optimizer, src, tgt_in, target_probs, lam=1e-4):
    """Node-mask discovery's step: soft cross-entropy against the base model's distribution plus
    λ·Σ masks, gradients to the mask logits only (the weights are frozen), AdamW on the logits."""
    optimizer.zero_grad()
    log_probs = nn.functional.log_softmax(model(src, tgt_in), dim=-1)
    layers = list(model.encoder) + list(model.decoder)
    penalty = sum(torch.sigmoid(layer.temperature * s).sum() for layer in layers for s in layer.mask_logits)
    loss = -(target_probs * log_probs).sum(-1).mean() + lam * penalty
    loss.backward()
    optimizer.step()


@torch.no_grad()
def greedy_uncached(model, src, steps=30):
    """Decoding without a key/value cache: the source is encoded once, and every step reruns the
    decoder on the whole prefix so far."""
    memory = model.encode(src)
    ys = torch.ones(src.shape[0], 1, dtype=torch.long)
    for _ in range(steps):
        ys = torch.cat([ys, model.decode(memory, ys)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return ys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", default="1x64,2x128,3x256")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="train_step,mask_step,greedy_uncached")
    options = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    wanted = options.only.split(",")
    for config in options.configs.split(","):
        layers, d = map(int, config.split("x"))
        model = Model(layers, d, 560)
        src, tgt_in, tgt_out = (torch.randint(3, 560, (64, n)) for n in (40, 30, 30))
        if "train_step" in wanted:
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            ms = best_ms(options.repeats, lambda: train_step(model, optimizer, src, tgt_in, tgt_out))
            print(json.dumps({"layers": layers, "d": d, "what": "train_step", "ms": ms}), flush=True)
        if "mask_step" in wanted:
            with torch.no_grad():
                target_probs = nn.functional.softmax(model(src, tgt_in), dim=-1)
            for p in model.parameters():
                p.requires_grad_(False)
            for layer in list(model.encoder) + list(model.decoder):
                layer.add_node_masks(d)
            logits = [p for layer in list(model.encoder) + list(model.decoder) for p in layer.mask_logits]
            optimizer = torch.optim.AdamW(logits, lr=0.1)
            ms = best_ms(options.repeats, lambda: mask_step(model, optimizer, src, tgt_in, target_probs))
            print(json.dumps({"layers": layers, "d": d, "what": "mask_step", "ms": ms}), flush=True)
            model = Model(layers, d, 560)
        if "greedy_uncached" in wanted:
            model.eval()
            ms = best_ms(options.repeats, lambda: greedy_uncached(model, src))
            print(json.dumps({"layers": layers, "d": d, "what": "greedy_uncached", "ms": ms, "ex_per_s": round(64000 / ms, 1)}), flush=True)


if __name__ == "__main__":
    main()
