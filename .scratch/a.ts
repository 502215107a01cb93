import { np, jit, Array as JArray, lax } from "../src/engine/jax.js";
import { startEngine } from "../src/engine/backend.js";
for (const be of ["cpu", "wasm"] as const) {
  await startEngine(be);
  const f32 = new Float32Array([NaN, -0, 1e-40, 3]);
  const u = new Uint32Array(f32.buffer); u[0] = 0x7fc00123;
  const a = np.array(f32, { dtype: np.float32 });
  const back = new Uint32Array((await a.data() as Float32Array).buffer);
  console.log(be, "f32", [...u].map(x=>x.toString(16)), [...back].map(x=>x.toString(16)));
  const s = np.array(new Float32Array([f32[0]]), { dtype: np.float32 }).reshape([]);
  console.log(be, "scalar", new Uint32Array((await s.data() as Float32Array).buffer)[0].toString(16));
  const f64 = new Float64Array([NaN, -0, 5e-324, 1/3]);
  const b = np.array(f64, { dtype: np.float64 });
  const bd = await b.data();
  console.log(be, "f64", bd.constructor.name, [...bd]);
  const c = np.array(new Uint32Array([0xffffffff, 1]), { dtype: np.uint32 });
  console.log(be, "u32", await c.data());
  const st = np.array(3, { dtype: np.int32 });
  console.log(be, st.shape, st.dtype, await st.ref.astype(np.float32).data(), st.refCount);
  st.dispose();
  const f = jit((t: any) => ({ x: t.x.add(1), n: t.n.add(1) }));
  const r: any = f({ x: np.zeros([2]), n: np.array(0, { dtype: np.int32 }) });
  console.log(be, await r.x.data(), await r.n.data());
  const cosf = jit((x: JArray) => np.cos(x));
  const xs = new Float32Array([0.1, 1, 2, 3]);
  const cv = await cosf(np.array(xs)).data();
  console.log(be, "cos", [...cv].map((v, i) => v - Math.cos(xs[i])));
}
