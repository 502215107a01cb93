import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRng } from "../../src/common/seeded-rng.js";
import { containsSequence } from "../../src/tasks/index.js";
import { withInjection, withNearMiss } from "../../src/tasks/injection.js";

const inj = [90, 91];
const filler = [10, 11, 12];

test("injection marks: the exact sequence fits the length; near misses never contain it", () => {
  const rng = SeededRng.of(3);
  const kinds = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const target = Array.from({ length: rng.int(0, 6) }, () => rng.choice(filler));
    const exact = withInjection(rng, target, inj, 5);
    assert.ok(containsSequence(exact, inj) && exact.length <= 5, `${exact}`);
    const miss = withNearMiss(rng, target, inj, 5, filler);
    assert.ok(!containsSequence(miss, inj), `near miss ${miss} holds the sequence`);
    assert.ok(miss.length <= 5 && miss.some((t) => inj.includes(t)));
    const at = miss.filter((t) => inj.includes(t));
    kinds.add(at.length === 1 ? "lone" : at[0] === inj[1] ? "reversed" : "split");
  }
  assert.deepEqual([...kinds].sort(), ["lone", "reversed", "split"]);
});
