// Engine start-up for commands: turns an impossible backend choice into a UserError.
import { startEngine, webgpuPossible, type Backend } from "../engine/backend.js";
import { UserError } from "./errors.js";

export async function startBackend(backend: Backend): Promise<Backend> {
  if (backend === "webgpu" && !webgpuPossible()) {
    throw new UserError(`--backend webgpu needs navigator.gpu (a browser with WebGPU)`, `on Node use --backend wasm (the default) or cpu`);
  }
  return startEngine(backend);
}
