// Gradient-normalised BPTT (the essay's fix), by hand: jax-js has no custom_vjp, so the forward
// pass keeps one vjp closure per latent step (and one for the prompt reading and the readout), and
// the backward pass pulls the cotangent back step by step, rescaling each example's cotangent
// of the recurrent state (reasoner.recurrentStateMask) to unit norm before every latent step:
//   g_K = ∂L/∂s_K;  for k = K … 1:  ĝ_k = g_k / ‖g_k‖ (per example);  (∂p, g_{k−1}) = vjp_k(ĝ_k)
// and g_0 goes into the prompt reading unscaled (it is not between latent steps). The parameter
// gradient is the sum of every closure's ∂p. With `truncate`, the steps before the cut run
// forward only. All of it traces inside the caller's jit (engine notes §1).
import { np, type Array, type OwnedFunction } from "../engine/jax.js";
import { vjpFresh, vjpFreshWithAux } from "../engine/vjp.js";
import { zip, type Tree } from "../engine/tree.js";
import type { Reasoner } from "../models/reasoner.js";
import {
  chainPart,
  disposeState,
  floatDtype,
  lossAndAux,
  perExampleNorm,
  recurrentNorm,
  unitNormPerExample,
  vectorOf,
  type ChainState,
} from "./chain-state.js";
import type { ChainPlan, LatentChainResult, Readout } from "./chain.js";

type Pullback<P> = OwnedFunction<(g: ChainState) => [P, Array, Tree]>;

export function gradNormValueAndGrad<P extends Tree>(
  reasoner: Reasoner<P>,
  params: P,
  prompt: Array,
  readout: Readout<P>,
  plan: ChainPlan,
): LatentChainResult<P> {
  const [B] = prompt.shape;
  const dtype = floatDtype(params);
  const K = plan.latentSteps;
  const cut = plan.stopAt; // −1: no cut
  let position = 0;

  // Forward: the prompt reading, then K latent steps, keeping a pullback where gradient flows.
  const readPrompt = (p: P): ChainState => {
    const s = reasoner.read(p, reasoner.start(B, { dtype }), prompt.ref);
    position = s.position;
    return chainPart(s);
  };
  /** `f(...args)`, with its pullback where gradient flows (`differentiate`), else forward only (null). */
  const run = <R>(f: (...a: any[]) => ChainState, args: unknown[], differentiate: boolean): [ChainState, R | null] =>
    differentiate ? (vjpFresh(f, args) as [ChainState, R]) : [f(...args), null];
  let [state, pullRead] = run<OwnedFunction<(g: ChainState) => [P]>>(readPrompt, [params], cut < 0);
  prompt.dispose();

  const thinkFrom = (p: P, latent: Array, carry: Tree): ChainState => {
    const s = reasoner.think(p, { latent, carry, position });
    position = s.position;
    return chainPart(s);
  };
  const pulls: (Pullback<P> | null)[] = [];
  const positions: number[] = []; // of s_1 … s_K
  const latentNorms: Array[] = [];
  for (let k = 0; k < K; k++) {
    const [next, pull] = run<Pullback<P>>(thinkFrom, [params, state.latent, state.carry], cut < 0 || k >= cut);
    state = next;
    pulls.push(pull);
    positions.push(position);
    latentNorms.push(perExampleNorm([state.latent.ref]).mean());
  }
  const scoreState = (p: P, latent: Array, carry: Tree) => lossAndAux(readout(p, { latent, carry, position }));
  const [loss, pullReadout, aux] = vjpFreshWithAux(scoreState, [params, state.latent, state.carry]);

  // Backward.
  const [gradsReadout, gLatent, gCarry] = pullReadout(np.ones([], { dtype: loss.dtype }));
  pullReadout.dispose();
  let grads = gradsReadout;
  let g: ChainState = { latent: gLatent, carry: gCarry };
  const stepGradNorms: Array[] = new globalThis.Array(K);
  for (let k = K - 1; k >= 0; k--) {
    const pull = pulls[k];
    if (!pull) {
      stepGradNorms[k] = np.zeros([], { dtype }); // the cut: no gradient reaches s_1 … s_cut
      continue;
    }
    stepGradNorms[k] = recurrentNorm(reasoner, g, positions[k]).mean(); // arriving at s_{k+1}, before normalisation
    const [dParams, dLatent, dCarry] = pull(unitNormPerExample(reasoner, g, positions[k]));
    pull.dispose();
    grads = zip((a, b) => a.add(b), grads, dParams);
    g = { latent: dLatent, carry: dCarry };
  }
  if (pullRead) {
    const [dParams] = pullRead(g);
    pullRead.dispose();
    grads = zip((a, b) => a.add(b), grads, dParams);
  } else {
    disposeState(g);
  }
  return {
    loss,
    grads,
    aux,
    stepGradNorms: vectorOf(stepGradNorms, dtype),
    latentNorms: vectorOf(latentNorms, dtype),
  };
}
