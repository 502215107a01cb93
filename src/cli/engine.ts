// Engine start-up for commands: a backend that cannot start here becomes a UserError saying what to install.
import { startEngine, WebGpuUnavailableError, type Backend } from "../engine/backend.js";
import { throwAsUserError } from "./errors.js";

export function startBackend(backend: Backend): Promise<Backend> {
  return startEngine(backend).catch((err) => throwAsUserError(err, WebGpuUnavailableError));
}
