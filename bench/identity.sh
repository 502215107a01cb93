#!/usr/bin/env bash
# Behaviour-preserving refactors: tiny fixed-seed runs of every method, then the sha256 of each
# model.safetensors (whole file) and of its tensors alone (header entries without __metadata__, and
# the data). Run it on the old and the new tree into two folders and diff the outputs:
#   bash bench/identity.sh /tmp/before   (on the old commit)   bash bench/identity.sh /tmp/after
# It loads the sources while it runs: run it on a snapshot (git archive) if you keep editing.
set -u
out=${1:?usage: bench/identity.sh OUTDIR}
# train reports a finished run of the same config instead of retraining it, even with --force:
# a used folder would hash the old models
if [ -n "$(ls -A "$out" 2>/dev/null)" ]; then echo "bench/identity.sh: $out is not empty; give a new folder" >&2; exit 2; fi
mkdir -p "$out"
cd "$(dirname "$0")/.."
common="--max-steps 4 --eval-every 100 --val-examples 16 --test-examples 16 --checkpoint-every 100 --batch-size 8 --dim 16 --heads 2 --seed 7"
run() {
  name=$1; shift
  node bin/neuralese.mjs train $common --out "$out/$name" --force "$@" >/dev/null 2>"$out/$name.err" || echo "FAIL $name (see $out/$name.err)"
}
run direct --method direct
run cot --method cot
run pause --method pause
run pause-cur --method pause --set 'method.options.curriculum={"stages":2,"stepsPerStage":1}'
run neuralese --method neuralese
run neuralese-gn --method neuralese --set method.options.gradNorm=true
run neuralese-cur --method neuralese --set 'method.options.curriculum={"stages":2,"stepsPerStage":1,"mixing":"example"}'
run halting --method halting
run flow --method flow
run es --method es --set method.options.population=4
run grpo --method grpo --init "$out/cot"
run cot-compose --method cot --task compose
run grpo-rm --method grpo --task compose --init "$out/cot-compose" --set method.options.reward=model
run helper --method helper-posterior --init "$out/cot"
run trice --method trice --train-examples 16
run looped --method direct --model looped
run gru --method neuralese --model gru --heads 1
node -e '
const fs = require("fs"), crypto = require("crypto"), path = require("path");
for (const dir of fs.readdirSync(process.argv[1]).sort()) {
  const f = path.join(process.argv[1], dir, "model.safetensors");
  if (!fs.existsSync(f)) continue;
  const b = fs.readFileSync(f), n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString());
  delete header.__metadata__;
  const sha = (...parts) => parts.reduce((h, p) => h.update(p), crypto.createHash("sha256")).digest("hex").slice(0, 16);
  console.log(dir, "file", sha(b), "tensors", sha(JSON.stringify(header), b.subarray(8 + n)));
}' "$out"
