// Float64 finite-difference checks (cpu backend) of each reasoner's whole path: read a
// left-padded prompt → think ×K → decode an answer, cross-entropy.
import { test, before } from "node:test";
import { np, type Array } from "../../src/engine/jax.js";
import { startEngine } from "../../src/engine/backend.js";
import { gradCheck } from "../../src/engine/gradcheck.js";
import { dispose, type Tree } from "../../src/engine/tree.js";
import { crossEntropy } from "../../src/nn/index.js";
import { answerValues, float64Params, MODELS, prompt, tinyReasoner } from "../reasoning/fixtures.js";
import { assertGradOk, ints } from "../nn/util.js";

before(async () => {
  await startEngine("cpu");
});

for (const model of MODELS) {
  test(`${model} reasoner: gradient of read → think×3 → decode cross-entropy (float64)`, async () => {
    const r = tinyReasoner(model);
    const params = float64Params(r, 7);
    const tokens = prompt();
    const targets = ints([...answerValues, 5, 1], [2, 2]);
    const loss = (p: Tree): Array => {
      let s = r.read(p, r.start(2, { dtype: np.float64 }), tokens.ref);
      for (let k = 0; k < 3; k++) s = r.think(p, s);
      // decode two tokens so that decode's own positions are checked too
      const [logits, end] = r.decode(p, s, ints([6, 2, 6, 8], [2, 2]));
      dispose([end.latent, end.carry]);
      return crossEntropy(logits, targets.ref);
    };
    // the transformer has 38 leaves: one coordinate each keeps the cpu backend's time in check
    assertGradOk(await gradCheck(loss, params, { samplesPerLeaf: model === "transformer" ? 1 : 3 }));
    dispose([params, tokens, targets]);
  });
}
