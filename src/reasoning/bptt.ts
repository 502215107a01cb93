// Full and truncated BPTT through a latent chain: one valueAndGrad over the unrolled chain. The
// cotangent arriving at each latent state comes out for free: a zero "probe" is added to every
// state leaf that holds recurrent state, and the probes are differentiated too.
import { lax, valueAndGrad, type Array } from "../engine/jax.js";
import type { Tree } from "../engine/tree.js";
import type { Reasoner, ReasonerState } from "../models/reasoner.js";
import {
  addProbes,
  disposeState,
  floatDtype,
  lossAndAux,
  perExampleNorm,
  probeNorm,
  stopGradientState,
  vectorOf,
  zeroProbes,
} from "./chain-state.js";
import type { ChainPlan, LatentChainResult, Readout } from "./chain.js";

export function bpttValueAndGrad<P extends Tree>(
  reasoner: Reasoner<P>,
  params: P,
  prompt: Array,
  readout: Readout<P>,
  plan: ChainPlan,
): LatentChainResult<P> {
  const [B] = prompt.shape;
  const dtype = floatDtype(params);
  // States keep their shapes along the chain: the empty state is the template of every s_k (the
  // probes' shapes depend on the masks' shapes only, not on the position).
  const template = reasoner.start(B, { dtype });
  const probes = globalThis.Array.from({ length: plan.latentSteps }, () => zeroProbes(reasoner, template));

  const chain = (p: P, stepProbes: Array[][]): [Array, Tree] => {
    let state: ReasonerState = reasoner.read(p, reasoner.start(B, { dtype }), prompt.ref);
    const latentNorms: Array[] = [];
    for (let k = 0; k < plan.latentSteps; k++) {
      if (k === plan.stopAt) state = stopGradientState(state);
      state = addProbes(reasoner, reasoner.think(p, state), stepProbes[k]);
      latentNorms.push(lax.stopGradient(perExampleNorm([state.latent.ref]).mean()));
    }
    if (plan.stopAt === plan.latentSteps) state = stopGradientState(state);
    const [loss, aux] = lossAndAux(readout(p, state));
    return [loss, { aux, latentNorms: vectorOf(latentNorms, dtype) }];
  };
  type Out = [[Array, { aux: Tree; latentNorms: Array }], [P, Array[][]]];
  const lossAndGrads = valueAndGrad(chain as never, { argnums: [0, 1], hasAux: true }) as unknown as (p: P, probes: Array[][]) => Out;
  const [[loss, extra], [grads, probeGrads]] = lossAndGrads(params, probes);
  prompt.dispose();
  const stepGradNorms = vectorOf(probeGrads.map((g) => probeNorm(g).mean()), dtype);
  disposeState(template);
  return { loss, grads, aux: extra.aux, stepGradNorms, latentNorms: extra.latentNorms };
}
