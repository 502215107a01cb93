"""MODEL.md reimplemented in numpy (float64), from the document alone, for the model-doc test.

Usage: python3 model_reference.py WEIGHTS.safetensors SPEC.json
SPEC: {"model": "transformer"|"gru"|"lstm"|"looped", "layers": L, "heads": H,
       "looped": {"prelude": P, "coda": C, "recurrence": r}  (looped only),
       "rows": [[slot, ...], ...]  (a slot is a token id, or null for a latent step),
       "decode": [t, ...]}         (slots whose logits are wanted)
Prints JSON: logits[row][i][vocab] at the slots in "decode".
Slots are computed one at a time, recomputing the whole prefix (no cache), as MODEL.md defines.
"""
import json
import struct
import sys

import numpy as np


def load(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n :]
    kinds = {"F32": "<f4", "F64": "<f8"}
    out = {}
    for name, e in header.items():
        b, s = e["data_offsets"]
        out[name] = np.frombuffer(data[b:s], dtype=kinds[e["dtype"]]).reshape(e["shape"]).astype(np.float64)
    return out


def layer_norm(x, gain, bias):
    centred = x - x.mean(-1, keepdims=True)
    return centred / np.sqrt((centred**2).mean(-1, keepdims=True) + 1e-5) * gain + bias


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def block(W, prefix, h, H, allowed):
    """One pre-norm block (MODEL.md, transformer step 3) with parameters under `prefix`."""
    p = lambda name: W[f"{prefix}.{name}"]
    a = layer_norm(h, p("ln1.gain"), p("ln1.bias"))
    q, k, v = (a @ p(f"attn.{n}.w") + p(f"attn.{n}.b") for n in "qkv")
    D = h.shape[1]
    d = D // H
    heads = []
    for j in range(H):
        cols = slice(j * d, (j + 1) * d)
        scores = (q[:, cols] / np.sqrt(d)) @ k[:, cols].T
        scores = np.where(allowed, scores, -np.inf)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        heads.append(w @ v[:, cols])
    y = h + np.concatenate(heads, -1) @ p("attn.o.w") + p("attn.o.b")
    m = gelu(layer_norm(y, p("ln2.gain"), p("ln2.bias")) @ p("mlp.up.w") + p("mlp.up.b"))
    return y + m @ p("mlp.down.w") + p("mlp.down.b")


def transformer_final_norm(W, spec, inputs, real):
    """z for every slot of one row, from the input embeddings (without positions)."""
    T, H = len(inputs), spec["heads"]
    pid = [sum(real[:t]) for t in range(T)]
    h = np.stack(inputs) + W["pos.table"][pid]
    allowed = np.array([[s <= t and (real[s] or s == t) for s in range(T)] for t in range(T)])
    if spec["model"] == "transformer":
        for l in range(spec["layers"]):
            h = block(W, f"blocks.{l}", h, H, allowed)
        return layer_norm(h, W["lnFinal.gain"], W["lnFinal.bias"])
    # looped: prelude, r iterations of adapter + core + coreNorm with e injected, coda
    lp = spec["looped"]
    for l in range(lp["prelude"]):
        h = block(W, f"prelude.{l}", h, H, allowed)
    e, s = h, np.zeros_like(h)
    for _ in range(lp["recurrence"]):
        u = np.concatenate([s, e], -1) @ W["adapter.w"] + W["adapter.b"]
        for l in range(spec["layers"]):
            u = block(W, f"core.{l}", u, H, allowed)
        s = layer_norm(u, W["coreNorm.gain"], W["coreNorm.bias"])
    for l in range(lp["coda"]):
        s = block(W, f"coda.{l}", s, H, allowed)
    return layer_norm(s, W["lnFinal.gain"], W["lnFinal.bias"])


def transformer_row(W, spec, slots):
    D = W["embed.table"].shape[1]
    inputs, real, z_prev = [], [], np.zeros(D)
    for t, item in enumerate(slots):
        inputs.append(z_prev if item is None else W["embed.table"][item])
        real.append(item is None or item != 0)
        z = transformer_final_norm(W, spec, inputs, real)
        if real[-1]:
            z_prev = z[t]
    return z


def recurrent_row(W, L, slots, lstm):
    D = W["embed.table"].shape[1]
    h = [np.zeros(D) for _ in range(L)]
    c = [np.zeros(D) for _ in range(L)]
    tops = []
    for item in slots:
        if item == 0:  # pad: every layer keeps its state
            tops.append(h[L - 1])
            continue
        x = h[L - 1] if item is None else W["embed.table"][item]
        for l in range(L):
            if lstm:
                g = x @ W[f"cells.{l}.wi"] + h[l] @ W[f"cells.{l}.wh"] + W[f"cells.{l}.b"]
                i, f, gg, o = np.split(g, 4)
                c[l] = sigmoid(f) * c[l] + sigmoid(i) * np.tanh(gg)
                h[l] = sigmoid(o) * np.tanh(c[l])
            else:
                gi = x @ W[f"cells.{l}.wi"] + W[f"cells.{l}.bi"]
                gh = h[l] @ W[f"cells.{l}.wh"] + W[f"cells.{l}.bh"]
                r = sigmoid(gi[:D] + gh[:D])
                z = sigmoid(gi[D : 2 * D] + gh[D : 2 * D])
                n = np.tanh(gi[2 * D :] + r * gh[2 * D :])
                h[l] = (1 - z) * n + z * h[l]
            x = h[l]
        tops.append(h[L - 1])
    return np.stack(tops)


def main(weights, spec_path):
    W = load(weights)
    spec = json.load(open(spec_path))
    out = []
    for slots in spec["rows"]:
        if spec["model"] in ("transformer", "looped"):
            states = transformer_row(W, spec, slots)
        else:
            states = recurrent_row(W, spec["layers"], slots, spec["model"] == "lstm")
        logits = states @ W["head.w"] + W["head.b"]
        out.append([logits[t].tolist() for t in spec["decode"]])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
