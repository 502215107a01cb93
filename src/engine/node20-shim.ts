// Node 20 lacks two ES2025 features jax-js uses (it is tested on Node 26); this module must be
// evaluated before @jax-js/jax, which src/engine/jax.ts guarantees by importing it first.
// - einsum / dotProductAttention call `str.matchAll(..).map(..)`: needs iterator helpers.
// - np.array(typedArray) tests `instanceof Float16Array` before Float64Array.
type IterProto = Record<string, unknown>;
const iteratorProto = Object.getPrototypeOf(
  Object.getPrototypeOf([][Symbol.iterator]()),
) as IterProto;

if (typeof iteratorProto.map !== "function") {
  const define = (name: string, value: unknown) =>
    Object.defineProperty(iteratorProto, name, { configurable: true, writable: true, value });
  define("map", function* (this: Iterable<unknown>, f: (x: unknown, i: number) => unknown) {
    let i = 0;
    for (const x of this) yield f(x, i++);
  });
  define("filter", function* (this: Iterable<unknown>, f: (x: unknown, i: number) => boolean) {
    let i = 0;
    for (const x of this) if (f(x, i++)) yield x;
  });
  define("toArray", function (this: Iterable<unknown>) {
    return [...this];
  });
}

const g = globalThis as { Float16Array?: unknown };
g.Float16Array ??= class Float16Array {
  constructor() {
    throw new Error("Float16Array is not available on this Node version");
  }
};

export {};
