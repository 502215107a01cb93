import { test } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "../../src/engine/backend.js";
import { dispose, ref, type Tree } from "../../src/engine/tree.js";
import { adamw, chain, clipByGlobalNorm } from "../../src/optim/index.js";
import { deviceTree, hostTree, toHost } from "./reference.js";

await startEngine("cpu");

test("chain(clip, adamw) equals clipping and then AdamW by hand, with the sub-states as a list", async () => {
  const clip = clipByGlobalNorm(0.5);
  const opt = adamw({ lr: 1e-2 });
  const chained = chain(clip, opt);
  const params = deviceTree(hostTree(1));
  let chainState = chained.init(params);
  let clipState = clip.init(params);
  let adamState = opt.init(params);
  assert.equal(chainState.length, 2);
  for (let step = 0; step < 3; step++) {
    const grads = hostTree(50 + step, 5); // large enough to be clipped
    const [u1, s1] = chained.update(deviceTree(grads), chainState, params);
    const [clipped, cs] = clip.update(deviceTree(grads), clipState, params);
    const [u2, as] = opt.update(clipped, adamState, params);
    [chainState, clipState, adamState] = [s1, cs, as];
    assert.deepEqual(await toHost(u1), await toHost(u2));
  }
  assert.deepEqual(await toHost(ref(chainState[1])), await toHost(ref(adamState as Tree)));
  for (const t of [params, chainState, clipState, adamState] as Tree[]) dispose(t);
});

test("chain rejects a state of the wrong length", () => {
  const chained = chain(clipByGlobalNorm(1), clipByGlobalNorm(2));
  assert.throws(() => chained.update(deviceTree(hostTree(1)), [{}]), /state has 1 parts but there are 2 transforms/);
});
