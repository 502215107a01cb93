// Records every WebAssembly.Memory created after this module runs, so that memory.ts can report
// the size of jax-js's wasm heap (jax-js keeps its Memory private). jax.ts imports this before
// @jax-js/jax, whose wasm backend creates its Memory while the module loads.
const created: WebAssembly.Memory[] = [];
const Original = WebAssembly.Memory;

WebAssembly.Memory = new Proxy(Original, {
  construct(target, args, newTarget) {
    const memory = Reflect.construct(target, args, newTarget) as WebAssembly.Memory;
    created.push(memory);
    return memory;
  },
});

/** Memories created since start-up (in practice one: jax-js's wasm backend heap). */
export function wasmMemories(): readonly WebAssembly.Memory[] {
  return created;
}
