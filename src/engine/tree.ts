// Parameter trees: nested plain objects / arrays whose leaves are jax-js Arrays.
// jax-js's own `tree` module does the structural work; this adds the helpers methods need.
import { jtree, np, type Array } from "./jax.js";

/** A parameter tree: nested records and lists with Array leaves. */
export type Tree = Array | Tree[] | { [name: string]: Tree };

/** Apply `f` to every leaf (consumes the leaves if `f` does). */
export function map<T extends Tree>(f: (x: Array, path: string) => Array, t: T): T {
  const paths = leafPaths(t);
  let i = 0;
  return jtree.map((x: Array) => f(x, paths[i++]), t as never) as unknown as T;
}

/** Combine leaves of trees with the same structure, leaf by leaf. */
export function zip<T extends Tree>(f: (...xs: Array[]) => Array, first: T, ...rest: T[]): T {
  return jtree.map(f, first as never, ...(rest as never[])) as unknown as T;
}

/** A new reference to every leaf: the original tree stays usable. */
export function ref<T extends Tree>(t: T): T {
  return jtree.ref(t as never) as T;
}

/** Release every leaf. */
export function dispose(t: Tree | null | undefined): void {
  jtree.dispose(t as never);
}

export function leaves(t: Tree): Array[] {
  return jtree.leaves(t as never) as Array[];
}

/** Number of scalar parameters (does not consume). */
export function count(t: Tree): number {
  return leaves(t).reduce((n, x) => n + x.size, 0);
}

/** Dotted names of the leaves in jax-js's flatten order (insertion order: "layers.0.attn.wq"). */
export function leafPaths(t: Tree, prefix = ""): string[] {
  if (isLeaf(t)) return [prefix];
  const out: string[] = [];
  const entries: [string, Tree][] = Array_isArray(t)
    ? t.map((c, i) => [String(i), c] as [string, Tree])
    : Object.keys(t).map((k) => [k, (t as Record<string, Tree>)[k]] as [string, Tree]);
  for (const [k, c] of entries) out.push(...leafPaths(c, prefix ? `${prefix}.${k}` : k));
  return out;
}

/** Flat record name → leaf (shares the leaves, no new references). */
export function flattenNamed(t: Tree): Record<string, Array> {
  const ls = leaves(t);
  const names = leafPaths(t);
  return Object.fromEntries(names.map((n, i) => [n, ls[i]]));
}

/** Rebuild a tree from dotted names; numeric path segments become lists. */
export function unflattenNamed(flat: Record<string, Array>): Tree {
  const root: Record<string, unknown> = {};
  for (const [name, leaf] of Object.entries(flat)) {
    const parts = name.split(".");
    let node: Record<string, unknown> = root;
    parts.slice(0, -1).forEach((p) => {
      node[p] ??= {};
      node = node[p] as Record<string, unknown>;
    });
    node[parts[parts.length - 1]] = leaf;
  }
  return listify(root) as Tree;
}

function listify(node: unknown): unknown {
  if (isLeaf(node as Tree)) return node;
  const rec = node as Record<string, unknown>;
  const keys = Object.keys(rec);
  const numeric = keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
  if (numeric && keys.map(Number).sort((a, b) => a - b).every((k, i) => k === i)) {
    return keys.map(Number).sort((a, b) => a - b).map((k) => listify(rec[String(k)]));
  }
  return Object.fromEntries(keys.map((k) => [k, listify(rec[k])]));
}

/** Zeros shaped like every leaf (does not consume). */
export function zerosLike<T extends Tree>(t: T): T {
  return jtree.map((x: Array) => np.zeros(x.shape, { dtype: x.dtype }), t as never) as unknown as T;
}

/** Σ of squares over all leaves, as a scalar Array (consumes the tree). */
export function sumOfSquares(t: Tree): Array {
  return leaves(t)
    .map((x) => np.square(x).sum())
    .reduce((a, b) => a.add(b));
}

/** Global L2 norm over all leaves (consumes the tree). */
export function globalNorm(t: Tree): Array {
  return np.sqrt(sumOfSquares(t));
}

const Array_isArray = (x: unknown): x is Tree[] => globalThis.Array.isArray(x);

function isLeaf(t: Tree): t is Array {
  // Same rule as jax-js's flatten: lists and plain objects are nodes, anything else a leaf.
  return !Array_isArray(t) && !(t !== null && typeof t === "object" && (t as object).constructor === Object);
}

/** Leaves in flatten order plus a function that rebuilds the same structure from new leaves. */
export function flatten<T extends Tree>(t: T): [Array[], (newLeaves: Array[]) => T] {
  const [ls, def] = jtree.flatten(t as never);
  return [ls as Array[], (newLeaves) => jtree.unflatten(def, newLeaves) as unknown as T];
}

/**
 * Rebuild `template`'s exact structure (key order, lists, empty subtrees) from leaves found by
 * dotted name in `loaded` (e.g. a tree read from a checkpoint). Checks names, shapes and dtypes;
 * moves the loaded leaves into the result and does not consume `template`.
 */
export function restoreLike<T extends Tree>(template: T, loaded: Tree | Record<string, Array>): T {
  const named = flattenNamed(loaded as Tree);
  const wanted = leafPaths(template);
  const missing = wanted.filter((n) => !(n in named));
  const extra = Object.keys(named).filter((n) => !wanted.includes(n));
  if (missing.length || extra.length) {
    throw new Error(
      `tree does not match its template: missing [${missing.join(", ")}], unexpected [${extra.join(", ")}]`,
    );
  }
  const [templateLeaves, rebuild] = flatten(template);
  wanted.forEach((n, i) => {
    const want = templateLeaves[i], got = named[n];
    if (got.dtype !== want.dtype || got.shape.join(",") !== want.shape.join(",")) {
      throw new Error(
        `leaf "${n}" is ${got.dtype}[${got.shape}], template wants ${want.dtype}[${want.shape}]`,
      );
    }
  });
  return rebuild(wanted.map((n) => named[n]));
}

/** Same nesting, keys (in order) and leaf count; leaf shapes are not compared. */
export function sameStructure(a: Tree, b: Tree): boolean {
  return jtree.structure(a as never).equals(jtree.structure(b as never));
}
