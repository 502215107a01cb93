// WebGPU on Node: the optional npm package `webgpu` (Dawn, Chrome's WebGPU) provides `navigator.gpu`
// over Vulkan (Linux), Metal (macOS) or D3D12 (Windows). Loaded only when --backend webgpu asks for
// it, so machines without the package (or without a GPU) still install and run on wasm.

/** The adapter a WebGPU run got, as summary.json and bench lines name it. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter (lavapipe): a correctness path, not a speed path. */
  isFallbackAdapter: boolean;
}

/** WebGPU cannot start here; `hint` says what to install. */
export class WebGpuUnavailableError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "WebGpuUnavailableError";
  }
}

/** The part of the WebGPU API used here (the package's own types are optional, like the package). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<{ info: Record<string, unknown> } | null>;
}
type NavigatorLike = { gpu?: GpuLike; userAgent?: string };

const DRIVER_HINT =
  "Linux: the GPU vendor's Vulkan driver and the loader (apt-get install libvulkan1; NVIDIA: the driver's Vulkan ICD; " +
  "AMD/Intel: mesa-vulkan-drivers), or without a GPU Mesa's lavapipe from bookworm-backports " +
  "(apt-get install -t bookworm-backports mesa-vulkan-drivers; bookworm's own Mesa 22.3 is refused by Dawn); " +
  "check with vulkaninfo --summary. macOS: Metal (nothing to install); Windows: a D3D12 driver. " +
  "Or use --backend wasm (the default)";

/** jax-js requests its adapter with this preference; the probe asks for the same one. */
const POWER_PREFERENCE = "high-performance";

let installed: Promise<GpuAdapterInfo> | undefined;

/**
 * Make `navigator.gpu` available (from `webgpu` on Node; a browser's or Deno's own otherwise) and
 * return the adapter WebGPU will use. Must run before jax-js initialises WebGPU: its WebGPU module
 * reads `navigator.userAgent` when imported, and Node 20 has no `navigator` at all. Idempotent.
 */
export function installWebGpu(): Promise<GpuAdapterInfo> {
  installed ??= install().catch((err: unknown) => {
    installed = undefined; // a later call (after installing a driver) may try again
    throw err;
  });
  return installed;
}

async function install(): Promise<GpuAdapterInfo> {
  const g = globalThis as { navigator?: NavigatorLike };
  if (!g.navigator?.gpu) {
    const dawn = await loadDawn();
    if (g.navigator === undefined) {
      g.navigator = { userAgent: `Node.js/${process.versions.node}` };
    }
    Object.defineProperty(g.navigator, "gpu", { configurable: true, value: dawn.create([]) });
    // GPUMapMode, GPUBufferUsage, ...: jax-js uses these constants as browser globals
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (!(name in globalThis)) Object.defineProperty(globalThis, name, { configurable: true, writable: true, value });
    }
  }
  const adapter = await g.navigator!.gpu!.requestAdapter({ powerPreference: POWER_PREFERENCE });
  if (!adapter) {
    throw new WebGpuUnavailableError("--backend webgpu: WebGPU found no GPU adapter on this machine (no usable Vulkan/Metal/D3D12 driver)", DRIVER_HINT);
  }
  const info = adapter.info;
  return {
    vendor: String(info.vendor ?? ""),
    architecture: String(info.architecture ?? ""),
    device: String(info.device ?? ""),
    description: String(info.description ?? ""),
    isFallbackAdapter: Boolean(info.isFallbackAdapter),
  };
}

async function loadDawn(): Promise<{ create(flags: string[]): GpuLike; globals: Record<string, unknown> }> {
  const name = "webgpu"; // a variable: tsc must not need the optional package's types
  try {
    return (await import(name)) as { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new WebGpuUnavailableError(
        "--backend webgpu needs the optional npm package webgpu (Dawn), which is not installed",
        `run npm install (it is an optionalDependency: npm skips it where its platform is unsupported, or with --omit=optional), or npm install webgpu@0.6.2; it ships binaries for linux-x64/arm64, darwin and win32. Then a driver: ${DRIVER_HINT}`,
      );
    }
    throw new WebGpuUnavailableError(`--backend webgpu: the webgpu package failed to load: ${(err as Error).message}`, DRIVER_HINT);
  }
}
