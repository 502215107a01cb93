// Linear probes for monitorability (issue 12): can a linear readout recover a known intermediate
// variable (the symbol after k hops) from a latent state? Ridge-regression classifiers on one-hot
// targets, fitted in closed form on the host in float64 (features are small: dim ≤ a few hundred),
// scored on a held-out split, against a control fitted on shuffled labels (a probe that only
// memorises would score as well on the control: Hewitt & Liang 2019's selectivity argument).
import { SeededRng } from "../../common/seeded-rng.js";

/** n rows of d features, row-major. */
export interface Features {
  x: Float64Array;
  n: number;
  d: number;
}

export interface RidgeClassifier {
  /** Class labels, in the order of the weight columns. */
  classes: number[];
  /** Per-feature standardisation fitted on the training rows. */
  mean: Float64Array;
  scale: Float64Array;
  /** [d, C] row-major, on standardised features; bias [C]. */
  weights: Float64Array;
  bias: Float64Array;
  lambda: number;
}

export interface ProbeResult {
  nTrain: number;
  nTest: number;
  classes: number;
  /** Held-out accuracy of the probe fitted on the true labels. */
  accuracy: number;
  /** Mean held-out accuracy (against the true labels) of the same probe fitted on shuffled labels. */
  control: number;
  /** Held-out accuracy of always answering the training split's most frequent label. */
  majority: number;
  /** The ridge penalty chosen on an inner validation split (in units of training rows). */
  lambda: number;
  /** Row index → predicted label, for the held-out rows. */
  heldOut: Map<number, number>;
}

/** Ridge penalties tried, times the number of training rows (features are standardised). */
export const RIDGE_LAMBDAS = [1e-4, 1e-3, 1e-2, 1e-1, 1];

/** Rows `rows` of `f`. */
function take(f: Features, rows: readonly number[]): Features {
  const x = new Float64Array(rows.length * f.d);
  rows.forEach((r, i) => x.set(f.x.subarray(r * f.d, (r + 1) * f.d), i * f.d));
  return { x, n: rows.length, d: f.d };
}

/** Solve A X = B for symmetric positive definite A [d, d] and B [d, c] (Cholesky); overwrites nothing. */
export function solveSpd(a: Float64Array, b: Float64Array, d: number, c: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`solveSpd: matrix is not positive definite (pivot ${s} at ${i})`);
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j];
    }
  }
  const y = new Float64Array(d * c);
  for (let col = 0; col < c; col++) {
    for (let i = 0; i < d; i++) {
      let s = b[i * c + col];
      for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k * c + col];
      y[i * c + col] = s / l[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = y[i * c + col];
      for (let k = i + 1; k < d; k++) s -= l[k * d + i] * y[k * c + col];
      y[i * c + col] = s / l[i * d + i];
    }
  }
  return y;
}

/**
 * Fit a ridge classifier: standardise features, regress one-hot labels (centred, so the bias is
 * not penalised) with penalty λ·n, predict the argmax. `classes` fixes the label set (default:
 * the labels seen).
 */
export function fitRidge(f: Features, labels: readonly number[], lambda: number, classes?: readonly number[]): RidgeClassifier {
  const { n, d } = f;
  if (labels.length !== n) throw new Error(`fitRidge: ${labels.length} labels for ${n} rows`);
  if (n < 2) throw new Error(`fitRidge: need at least 2 rows, got ${n}`);
  const cls = [...(classes ?? [...new Set(labels)].sort((a, b) => a - b))];
  const index = new Map(cls.map((c, i) => [c, i]));
  const C = cls.length;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += f.x[r * d + j] / n;
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) scale[j] += (f.x[r * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]) || 1; // a constant feature stays 0
  const z = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) z[r * d + j] = (f.x[r * d + j] - mean[j]) / scale[j];
  const yMean = new Float64Array(C);
  labels.forEach((y) => {
    const c = index.get(y);
    if (c === undefined) throw new Error(`fitRidge: label ${y} is not among the classes ${cls.join(",")}`);
    yMean[c] += 1 / n;
  });
  // ZᵀZ + λn·I and Zᵀ(Y − ȳ); Z is centred, so Zᵀȳ = 0 and Zᵀ(Y − ȳ) = ZᵀY
  const gram = new Float64Array(d * d);
  const zy = new Float64Array(d * C);
  for (let r = 0; r < n; r++) {
    const row = z.subarray(r * d, (r + 1) * d);
    for (let i = 0; i < d; i++) {
      const zi = row[i];
      if (zi === 0) continue;
      for (let j = 0; j <= i; j++) gram[i * d + j] += zi * row[j];
      zy[i * C + index.get(labels[r])!] += zi;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) gram[j * d + i] = gram[i * d + j];
    gram[i * d + i] += lambda * n;
  }
  const weights = solveSpd(gram, zy, d, C);
  return { classes: cls, mean, scale, weights, bias: yMean, lambda };
}

/** The classifier's label for each row of `f`. */
export function predictRidge(m: RidgeClassifier, f: Features): number[] {
  const { d } = f;
  const C = m.classes.length;
  const out: number[] = [];
  const z = new Float64Array(d);
  for (let r = 0; r < f.n; r++) {
    for (let j = 0; j < d; j++) z[j] = (f.x[r * d + j] - m.mean[j]) / m.scale[j];
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = m.bias[c];
      for (let j = 0; j < d; j++) s += z[j] * m.weights[j * C + c];
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    out.push(m.classes[best]);
  }
  return out;
}

const accuracyOf = (pred: readonly number[], gold: readonly number[]) =>
  gold.length ? pred.reduce((a, p, i) => a + (p === gold[i] ? 1 : 0), 0) / gold.length : 0;

/** Fit with the λ that scores best on the last fifth of the training rows, refitted on all of them. */
function fitSelected(f: Features, labels: readonly number[], classes: readonly number[]): RidgeClassifier {
  const cut = Math.floor(f.n * 0.8);
  const fitRows = [...Array(cut).keys()];
  const valRows = [...Array(f.n - cut).keys()].map((i) => i + cut);
  let best = RIDGE_LAMBDAS[0];
  if (cut >= 2 && valRows.length > 0) {
    let bestAcc = -1;
    for (const lambda of RIDGE_LAMBDAS) {
      const m = fitRidge(take(f, fitRows), fitRows.map((r) => labels[r]), lambda, classes);
      const acc = accuracyOf(predictRidge(m, take(f, valRows)), valRows.map((r) => labels[r]));
      if (acc > bestAcc) [best, bestAcc] = [lambda, acc];
    }
  }
  return fitRidge(f, labels, best, classes);
}

/** A seeded train/held-out assignment of n rows: true = fits the probe. */
export function trainSplit(n: number, opts: { seed?: number; trainFraction?: number } = {}): boolean[] {
  const order = SeededRng.of(opts.seed ?? 0).shuffle([...Array(n).keys()]);
  const nTrain = Math.round(n * (opts.trainFraction ?? 0.5));
  const out = new Array<boolean>(n).fill(false);
  order.slice(0, nTrain).forEach((r) => (out[r] = true));
  return out;
}

/**
 * Probe `labels` from `features`: the rows marked in `isTrain` fit the probe (λ chosen inside
 * them), the others score it; the control probes are fitted on the same rows with their labels
 * shuffled (seeded, `controlRepeats` shuffles, default 5) and scored against the true held-out
 * labels; `control` is their mean accuracy.
 */
export function probe(
  features: Features,
  labels: readonly number[],
  isTrain: readonly boolean[],
  opts: { seed?: number; controlRepeats?: number } = {},
): ProbeResult {
  const { n } = features;
  if (labels.length !== n || isTrain.length !== n) throw new Error(`probe: ${labels.length} labels and ${isTrain.length} split flags for ${n} rows`);
  const trainRows = [...Array(n).keys()].filter((r) => isTrain[r]);
  const testRows = [...Array(n).keys()].filter((r) => !isTrain[r]);
  if (trainRows.length < 2 || testRows.length < 1) throw new Error(`probe: ${n} rows are too few for a train/held-out split`);
  const nTrain = trainRows.length;
  const train = take(features, trainRows);
  const test = take(features, testRows);
  const yTrain = trainRows.map((r) => labels[r]);
  const yTest = testRows.map((r) => labels[r]);
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const m = fitSelected(train, yTrain, classes);
  const pred = predictRidge(m, test);
  // the control is one shuffle's luck when features take few distinct values: average several
  const rng = SeededRng.of(opts.seed ?? 0);
  const repeats = opts.controlRepeats ?? 5;
  let control = 0;
  for (let i = 0; i < repeats; i++) control += accuracyOf(predictRidge(fitSelected(train, rng.shuffle(yTrain), classes), test), yTest) / repeats;
  const counts = new Map<number, number>();
  yTrain.forEach((y) => counts.set(y, (counts.get(y) ?? 0) + 1));
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  return {
    nTrain,
    nTest: testRows.length,
    classes: classes.length,
    accuracy: accuracyOf(pred, yTest),
    control,
    majority: accuracyOf(yTest.map(() => top), yTest),
    lambda: m.lambda,
    heldOut: new Map(testRows.map((r, i) => [r, pred[i]])),
  };
}
