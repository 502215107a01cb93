// What every bench shares: the median, rounding, and where it ran (backend and GPU adapter).
import { activeAdapter, activeBackend, type GpuAdapterInfo } from "../../engine/backend.js";

export type BenchOptions = { steps: number; warmup: number };

export const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Where a bench ran: the backend and, on webgpu, the adapter. */
export const onDevice = (): { backend: string; adapter?: GpuAdapterInfo } => {
  const adapter = activeAdapter();
  return { backend: activeBackend(), ...(adapter ? { adapter } : {}) };
};
