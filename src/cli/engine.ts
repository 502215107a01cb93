// Engine start-up for commands: a backend that cannot start here becomes a UserError saying what to install.
import { startEngine, WebGpuUnavailableError, type Backend } from "../engine/backend.js";
import { UserError } from "./errors.js";

export async function startBackend(backend: Backend): Promise<Backend> {
  try {
    return await startEngine(backend);
  } catch (err) {
    if (err instanceof WebGpuUnavailableError) throw new UserError(err.message, err.hint);
    throw err;
  }
}
