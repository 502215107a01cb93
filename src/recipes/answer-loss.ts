// Cross-entropy on the answer tokens, and whether the teacher-forced answer was right.
import { np, type Array } from "../engine/jax.js";
import { crossEntropy } from "../nn/index.js";

/**
 * logits [B, L, V], targets [B, L] int32, mask [B, L] (1 on scored positions). Returns the mean
 * masked cross-entropy and `correct` [B] (1 when every scored position's argmax is the target:
 * the training accuracy under teacher forcing). Consumes all three.
 */
export function answerLoss(logits: Array, targets: Array, mask: Array): { loss: Array; correct: Array } {
  const predicted = np.argmax(logits.ref, -1).astype(np.int32);
  const wrong = np.notEqual(predicted, targets.ref).astype(np.float32).mul(mask.ref).sum(-1);
  const correct = np.equal(wrong, 0).astype(np.float32);
  return { loss: crossEntropy(logits, targets, mask), correct };
}
