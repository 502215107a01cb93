// Analytic FLOP counting: matrix-product FLOPs only (elementwise ops, softmax and norms are
// O(activations) and ignored, as in the usual 6·N·tokens estimates). One multiply-add = 2 FLOPs.
// Backward of a product costs twice its forward (one product for each input's cotangent).

export interface Flops {
  /** FLOPs of one forward pass. */
  forward: number;
  /** FLOPs of the matching backward pass (2 × forward for matmul-only accounting). */
  backward: number;
}

/** FLOPs of [m,k] @ [k,n]. */
export function matmulFlops(m: number, k: number, n: number): number {
  return 2 * m * k * n;
}

/** Forward and backward FLOPs given forward matmul FLOPs. */
export function withBackward(forward: number): Flops {
  return { forward, backward: 2 * forward };
}

export function addFlops(...fs: Flops[]): Flops {
  return fs.reduce((a, b) => ({ forward: a.forward + b.forward, backward: a.backward + b.backward }), {
    forward: 0,
    backward: 0,
  });
}

export interface TransformerShape {
  vocab: number;
  dim: number;
  layers: number;
  mlpRatio?: number;
  /** true when embeddings are looked up by a one-hot matmul rather than a gather */
  oneHotEmbedding?: boolean;
}

/**
 * A causal pre-norm transformer over `batch` sequences of `seq` tokens, all positions computed.
 * Per token and layer: q, k, v, o projections 8·D², MLP 4·ratio·D², attention scores and
 * the weighted sum 4·seq·D (the full masked T×T products are computed, as the kernels do);
 * then the output head 2·D·V.
 */
export function transformerFlops(s: TransformerShape, batch: number, seq: number): Flops {
  const tokens = batch * seq;
  const D = s.dim;
  const ratio = s.mlpRatio ?? 4;
  const perLayer =
    4 * matmulFlops(tokens, D, D) + 2 * matmulFlops(tokens, D, ratio * D) + 2 * batch * matmulFlops(seq, D, seq);
  const head = matmulFlops(tokens, D, s.vocab);
  const embed = s.oneHotEmbedding ? matmulFlops(tokens, s.vocab, D) : 0;
  return withBackward(s.layers * perLayer + head + embed);
}

/** A GRU over `steps` steps at batch `batch`: three gates of input and hidden products. */
export function gruFlops(dIn: number, hidden: number, batch: number, steps: number): Flops {
  const perStep = matmulFlops(batch, dIn, 3 * hidden) + matmulFlops(batch, hidden, 3 * hidden);
  return withBackward(steps * perStep);
}

/** What one training step costs, charged to a run's budget (runs/budget.ts); every field optional. `flops` as above ({forward, backward: 0} for a forward-only pass). */
export interface BudgetCharge {
  steps?: number;
  examples?: number;
  forwardTokens?: number;
  backwardTokens?: number;
  flops?: Flops;
  wallMs?: number;
}

