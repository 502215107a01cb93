// An independent float64 reference for gradient-normalised BPTT, derived by hand from its
// definition and built from different parts than src/reasoning: eager `grad` of scalar inner
// products (no stored vjp closures), the forward recomputed per step, the normalisation done on
// the host in plain JS over a recurrent state written out here per model (not
// `recurrentStateMask`):
//   g_K = ∂L/∂s_K, ∂p = ∂L/∂p at s_K
//   for k = K … 1:  u = g_k / ‖g_k‖ per example;  ∂p += ∂⟨u, think(p, s_{k−1})⟩/∂p;  g_{k−1} = ∂⟨u, think(p, s)⟩/∂s at s_{k−1}
//   ∂p += ∂⟨g_0, read(p, prompt)⟩/∂p   (g_0 not rescaled)
// With `cut` = c ≥ 0 (truncation): steps 1 … c are not pulled back and the read gets nothing.
import { grad, jit, np, type Array } from "../../src/engine/jax.js";
import { dispose, leaves, ref, type Tree } from "../../src/engine/tree.js";
import type { Reasoner, ReasonerState } from "../../src/models/index.js";
import type { Readout } from "../../src/reasoning/index.js";

export type Host = { values: Float64Array; shape: number[]; float: boolean };

export async function toHost(t: Tree): Promise<Host[]> {
  return Promise.all(
    leaves(t).map(async (x) => ({ values: Float64Array.from(await x.ref.data()), shape: x.shape, float: x.dtype === np.float64 })),
  );
}


/**
 * Which flat elements of each leaf of {latent, carry} (flatten order) hold the recurrent state
 * of a state at `position`, per model: gru/lstm everything; transformer the latent and the KV
 * slot position − 1 of every cache (leaves k, v: [B, maxLen, dim]), not the validity mask.
 */
function inRecurrentState(model: string, leafIndex: number, leafCount: number, shape: number[], position: number) {
  return (flat: number): boolean => {
    if (model !== "transformer") return true;
    if (leafIndex === 0) return true;
    if (leafIndex === leafCount - 1) return false; // valid mask
    const [, maxLen, dim] = shape;
    return Math.floor(flat / dim) % maxLen === position - 1;
  };
}

/** Host normalisation of a cotangent tree, per example, over the recurrent state. */
function normalise(model: string, g: Host[], position: number): Host[] {
  const B = g[0].shape[0];
  const sq = new Float64Array(B);
  const masks = g.map((leaf, i) => inRecurrentState(model, i, g.length, leaf.shape, position));
  g.forEach((leaf, i) => {
    if (!leaf.float) return;
    const per = leaf.values.length / B;
    leaf.values.forEach((v, j) => {
      if (masks[i](j)) sq[Math.floor(j / per)] += v * v;
    });
  });
  const norms = globalThis.Array.from(sq, Math.sqrt);
  return g.map((leaf, i) => {
    if (!leaf.float) return leaf;
    const per = leaf.values.length / B;
    const values = leaf.values.map((v, j) => (masks[i](j) ? v / (norms[Math.floor(j / per)] + 1e-12) : v));
    return { ...leaf, values };
  });
}

/** Σ over float leaves of ⟨weights, state leaf⟩ (weights: host values). Consumes the state. */
function inner(s: ReasonerState, weights: Host[]): Array {
  const ls = leaves({ latent: s.latent, carry: s.carry } as unknown as Tree);
  let total: Array | null = null;
  ls.forEach((x, i) => {
    if (!weights[i].float) {
      x.dispose();
      return;
    }
    const w = np.array(weights[i].values, { dtype: np.float64 }).reshape(weights[i].shape);
    const term = x.mul(w).sum();
    total = total ? total.add(term) : term;
  });
  return total!;
}

export async function gradNormReference(
  reasoner: Reasoner,
  params: Tree,
  prompt: () => Array,
  readout: Readout<Tree>,
  latentSteps: number,
  cut = -1,
): Promise<Host[]> {
  const model = reasoner.config.model;
  const [B, promptLength] = prompt().shape;
  const stateAt = (k: number) => (p: Tree, tokens: Array) => {
    let s = reasoner.read(p, reasoner.start(B, { dtype: np.float64 }), tokens);
    for (let i = 0; i < k; i++) s = reasoner.think(p, s);
    return s;
  };
  const states: ReasonerState[] = [];
  for (let k = 0; k <= latentSteps; k++) {
    const s = jitOnce((p: Tree, tokens: Array) => {
      const t = stateAt(k)(p, tokens);
      return { latent: t.latent, carry: t.carry };
    })(ref(params), prompt());
    states.push({ ...s, position: promptLength + k }); // one position per token and per thought
  }
  const sK = states[latentSteps];

  // readout: ∂L/∂p and ∂L/∂s_K
  const scoreGrad = grad(
    (p: Tree, latent: Array, carry: Tree) => {
      const out = readout(p, { latent, carry, position: sK.position });
      const [loss, aux] = globalThis.Array.isArray(out) ? out : [out, {}];
      dispose(aux as Tree);
      return loss;
    },
    { argnums: [0, 1, 2] },
  ) as unknown as (p: Tree, l: Array, c: Tree) => [Tree, Array, Tree];
  const [dp0, dl, dc] = jitOnce(scoreGrad)(ref(params), sK.latent.ref, ref(sK.carry));
  let gradParams = await toHost(dp0);
  let g = await toHost({ latent: dl, carry: dc } as unknown as Tree);
  const addInto = async (t: Tree) => {
    const h = await toHost(t);
    gradParams = gradParams.map((leaf, i) => ({ ...leaf, values: leaf.values.map((v, j) => v + h[i].values[j]) }));
  };

  for (let k = latentSteps; k >= 1; k--) {
    if (cut >= 0 && k <= cut) break;
    const u = normalise(model, g, states[k].position);
    const prev = states[k - 1];
    const stepGrad = grad(
      (p: Tree, latent: Array, carry: Tree) => inner(reasoner.think(p, { latent, carry, position: prev.position }), u),
      { argnums: [0, 1, 2] },
    ) as unknown as (p: Tree, l: Array, c: Tree) => [Tree, Array, Tree];
    const [dp, dLatent, dCarry] = jitOnce(stepGrad)(ref(params), prev.latent.ref, ref(prev.carry));
    await addInto(dp);
    g = await toHost({ latent: dLatent, carry: dCarry } as unknown as Tree);
  }
  if (cut < 0) {
    const readGrad = grad((p: Tree) => inner(reasoner.read(p, reasoner.start(B, { dtype: np.float64 }), prompt()), g));
    await addInto(jitOnce(readGrad as unknown as (p: Tree) => Tree)(ref(params)));
  }
  states.forEach((s) => dispose([s.latent, s.carry]));
  return gradParams;
}

/** Call `f` once under jit, then release the compiled function. */
function jitOnce<F extends (...args: any[]) => any>(f: F): F {
  return ((...args: Parameters<F>) => {
    const compiled = jit(f as never) as unknown as F & { dispose(): void };
    const out = compiled(...args);
    compiled.dispose();
    return out;
  }) as F;
}
