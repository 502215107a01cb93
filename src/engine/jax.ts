// The single entry point to @jax-js/jax: the shim must run before jax-js's module body.
import "./node20-shim.js";

export {
  numpy as np,
  nn as jnn,
  lax,
  random,
  tree as jtree,
  jit,
  grad,
  valueAndGrad,
  vjp,
  vmap,
  init,
  defaultDevice,
  blockUntilReady,
  Array,
  DType,
} from "@jax-js/jax";
export type { Device, JsTree, OwnedFunction } from "@jax-js/jax";
