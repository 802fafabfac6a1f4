#!/usr/bin/env bash
# GPU device check: the project's WGSL kernels through Dawn (npm "webgpu") on a GPU machine that
# has no package registry and maybe no Node, next to PyTorch when it is there. One JSON + Markdown
# report; partial results are kept when a part fails or runs out of time.
#
# 1. Here, with the registry (once per change of the benches or of node_modules):
#      bash scripts/device-check.sh --prepare
#    builds the ignored folder .device/ (≈ 40 MiB): the bench entry points bundled by esbuild
#    (tfjs and the project's kernels inside), the "webgpu" package with its dawn.node (xz), this
#    machine's node binary (xz), and libvulkan1 fetched with `apt-get download` (+ extracted).
#    It prints the sizes against the 64 MiB the device tool carries.
# 2. On the device machine, through the tool `run`:
#      command:   bash scripts/device-check.sh
#      carry:     [".device"]
#      timeout_s: 540          (the script keeps itself under --budget-s, default 450 s)
#    The report comes back as $OUT/device-report.{json,md} and $OUT/device-check.log.
# 3. Tested here on Mesa's lavapipe (a CPU Vulkan driver), small sizes, ≈ 2–4 min:
#      bash scripts/device-check.sh --allow-any-icd --small
#    (writes ./device-report/ when $OUT is unset).
#
# Options: --prepare | --allow-any-icd (use a non-NVIDIA Vulkan driver, e.g. lavapipe) | --small
# (tiny sizes) | --budget-s N | --out DIR | --no-cpu (skip the slow tfjs cpu reference) |
# --carried-node (use .device's node even when one is on PATH).
# Environment: TORCH_PYTHON (a python with torch), VK_DRIVER_FILES (a Vulkan ICD json to use).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV="$ROOT/.device"
PREPARE=0 ANY_ICD=0 SMALL=0 BUDGET=450 NO_CPU=0 CARRIED_NODE=0
OUTDIR=${OUT:-$ROOT/device-report}
while [ $# -gt 0 ]; do
  case "$1" in
    --prepare) PREPARE=1 ;;
    --allow-any-icd) ANY_ICD=1 ;;
    --small) SMALL=1 ;;
    --no-cpu) NO_CPU=1 ;;
    --carried-node) CARRIED_NODE=1 ;;
    --budget-s) BUDGET=$2; shift ;;
    --out) OUTDIR=$2; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "device-check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ─── --prepare: build .device/ here ──────────────────────────────────────────────────────────────
if [ "$PREPARE" = 1 ]; then
  set -e
  cd "$ROOT"
  [ -x node_modules/.bin/esbuild ] || { echo "device-check --prepare: node_modules/.bin/esbuild missing: run npm install" >&2; exit 1; }
  [ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "device-check --prepare: node_modules/webgpu/dist/linux-x64/dawn.node missing: run npm install" >&2; exit 1; }
  # Everything is rebuilt except the two slow xz files, kept while their sources are unchanged.
  rm -rf "$DEV/debs" "$DEV/prefix" "$DEV/chunks" "$DEV"/*.mjs
  mkdir -p "$DEV/debs" "$DEV/prefix" "$DEV/node_modules/webgpu/dist/linux-x64"
  # The Vulkan loader; the NVIDIA driver brings its own ICD but not always the loader.
  (cd "$DEV/debs" && apt-get download libvulkan1)
  for d in "$DEV"/debs/*.deb; do dpkg-deb -x "$d" "$DEV/prefix"; done
  # Bundles sit one folder below the root so `new URL('../tools/…', import.meta.url)` still finds
  # tools/ there; the shared chunk holds tfjs once. webgpu stays external: dawn.node is native.
  node_modules/.bin/esbuild bench/paperStep.ts bench/conv3d.ts bench/paperForward.ts \
    --bundle --splitting --format=esm --platform=node --target=node20 --outdir="$DEV" --out-extension:.js=.mjs \
    --chunk-names='chunks/[name]-[hash]' --external:webgpu --external:vite --external:@playwright/test \
    --minify-whitespace --minify-syntax --log-level=warning \
    --banner:js="import { createRequire as __ftwRequire } from 'node:module'; const require = __ftwRequire(import.meta.url);"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$DEV/node_modules/webgpu/"
  DAWN_XZ="$DEV/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
  rm -f "${DAWN_XZ%.xz}" # one unpacked by an earlier check here
  [ "$DAWN_XZ" -nt node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$DAWN_XZ"
  if [ ! -f "$DEV/node.xz" ] || [ "$(cat "$DEV/node.version" 2>/dev/null)" != "$(node --version)" ]; then
    xz -T0 -6 -c "$(command -v node)" > "$DEV/node.xz"
    node --version > "$DEV/node.version"
  fi
  echo "$(git rev-parse --short HEAD 2>/dev/null) + $(git status --porcelain 2>/dev/null | wc -l) uncommitted paths, $(date -u +%Y-%m-%dT%H:%MZ)" > "$DEV/prepared-at-commit"
  du -sk "$DEV" | awk '{printf "'.device'/ %.1f MiB\n", $1/1024}'
  # What else travels: tracked and untracked-not-ignored files.
  tree_kib=$(git ls-files -co --exclude-standard -z | xargs -0 du -ck 2>/dev/null | tail -1 | cut -f1)
  dev_kib=$(du -sk "$DEV" | cut -f1)
  echo "working tree (tracked + untracked, not ignored) $((tree_kib / 1024)) MiB + .device $((dev_kib / 1024)) MiB = $(((tree_kib + dev_kib) / 1024)) MiB of the 64 MiB the device tool carries"
  [ $((tree_kib + dev_kib)) -lt $((64 * 1024)) ] || { echo "device-check --prepare: over 64 MiB: the run would be refused" >&2; exit 1; }
  exit 0
fi

# ─── the check ───────────────────────────────────────────────────────────────────────────────────
cd "$ROOT"
T0=$(date +%s)
WORK=$(mktemp -d /tmp/ftw-device.XXXXXX)
mkdir -p "$OUTDIR" "$WORK/parts"
LOG="$OUTDIR/device-check.log"
: > "$LOG"
say() { echo "[device-check +$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG"; }
left() { echo $(( BUDGET - ( $(date +%s) - T0 ) )); }
NPROC=$(nproc 2>/dev/null || echo 1)
MISSING=()

env_note() { printf '%s=%s\n' "$1" "$2" >> "$WORK/env.txt"; }
env_note started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
env_note host "$(uname -srm)"
env_note cpu "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') · $NPROC cores"
env_note memory "$(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null)"
env_note options "small=$SMALL allow-any-icd=$ANY_ICD budget-s=$BUDGET no-cpu=$NO_CPU"
if command -v nvidia-smi >/dev/null 2>&1; then
  env_note gpu "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -3 | tr '\n' ';')"
else
  env_note gpu "nvidia-smi not found"
fi
[ -f "$DEV/prepared-at-commit" ] && env_note bundle_commit "$(cat "$DEV/prepared-at-commit")"

# Node: the machine's if it is ≥ 20, else the one .device carries.
decompress() { # src.xz dst
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"
  elif command -v python3 >/dev/null 2>&1; then python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"
  else return 1; fi
}
NODE=""
if [ "$CARRIED_NODE" = 0 ] && command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ]; then
  NODE=$(command -v node)
elif [ -f "$DEV/node.xz" ]; then
  mkdir -p "$WORK/bin" && decompress "$DEV/node.xz" "$WORK/bin/node" && chmod +x "$WORK/bin/node" && NODE="$WORK/bin/node"
fi
if [ -n "$NODE" ] && "$NODE" --version >/dev/null 2>&1; then
  env_note node "$NODE $("$NODE" --version)"
else
  NODE=""
  MISSING+=("Node ≥ 20: none on PATH and no usable .device/node.xz (run --prepare here and carry .device)")
fi
DAWN="$DEV/node_modules/webgpu/dist/linux-x64/dawn.node"
DAWN_UNPACKED=0
if [ ! -f "$DAWN" ] && [ -f "$DAWN.xz" ]; then decompress "$DAWN.xz" "$DAWN" && DAWN_UNPACKED=1; fi
[ -f "$DAWN" ] || MISSING+=("dawn.node: $DAWN (run --prepare here and carry .device)")
for b in paperStep conv3d paperForward; do
  [ -f "$DEV/$b.mjs" ] || MISSING+=(".device/$b.mjs (run --prepare here and carry .device)")
done

# Vulkan loader: the system's, else the carried libvulkan1.
if ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  env_note vulkan_loader "system: $(ldconfig -p | grep -m1 'libvulkan.so.1 ' | sed 's/.*=> //')"
else
  LIBDIR=$(dirname "$(find "$DEV/prefix" -name 'libvulkan.so.1*' 2>/dev/null | head -1)" 2>/dev/null)
  if [ -z "$LIBDIR" ] || [ "$LIBDIR" = . ]; then
    for d in "$DEV"/debs/*.deb; do [ -f "$d" ] && dpkg-deb -x "$d" "$WORK/prefix" 2>>"$LOG"; done
    LIBDIR=$(dirname "$(find "$WORK/prefix" -name 'libvulkan.so.1*' 2>/dev/null | head -1)" 2>/dev/null)
  fi
  if [ -n "$LIBDIR" ] && [ "$LIBDIR" != . ]; then
    export LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    env_note vulkan_loader "carried: $LIBDIR"
  else
    MISSING+=("libvulkan.so.1 (Vulkan loader): not in ldconfig and not in .device/prefix or .device/debs")
  fi
fi

# Vulkan driver (ICD): NVIDIA's json where drivers put it, else one built for libGLX_nvidia.so.0.
NV_LIBDIRS="/usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib"
ICD_DIRS="/usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d /usr/local/nvidia/etc/vulkan/icd.d"
ICD=""
if [ -n "${VK_DRIVER_FILES:-}" ] && [ -f "${VK_DRIVER_FILES%%:*}" ]; then ICD=${VK_DRIVER_FILES%%:*}; fi
if [ -z "$ICD" ]; then
  for d in $ICD_DIRS; do for f in "$d"/nvidia_icd*.json; do [ -f "$f" ] && { ICD=$f; break 2; }; done; done
fi
if [ -z "$ICD" ]; then
  GLX=""
  for d in $NV_LIBDIRS; do [ -e "$d/libGLX_nvidia.so.0" ] && { GLX="$d/libGLX_nvidia.so.0"; break; }; done
  [ -z "$GLX" ] && GLX=$(ldconfig -p 2>/dev/null | grep -m1 'libGLX_nvidia.so.0 ' | sed 's/.*=> //')
  if [ -n "$GLX" ]; then
    ICD="$WORK/nvidia_icd.json"
    printf '{ "file_format_version": "1.0.1", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$GLX" > "$ICD"
    env_note icd_built "no nvidia_icd.json in $ICD_DIRS; built one for $GLX"
  fi
fi
if [ -z "$ICD" ] && [ "$ANY_ICD" = 1 ]; then
  for f in /usr/share/vulkan/icd.d/lvp_icd*.json /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json; do [ -f "$f" ] && { ICD=$f; break; }; done
fi
if [ -n "$ICD" ]; then
  export VK_DRIVER_FILES="$ICD" VK_ICD_FILENAMES="$ICD"
  env_note icd "$ICD: $(tr -d '\n' < "$ICD" | head -c 300)"
  # A json naming a bare library relies on the loader's search path: add the driver's folders.
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"; done
else
  MISSING+=("NVIDIA Vulkan ICD: no nvidia_icd.json in $ICD_DIRS and no libGLX_nvidia.so.0 in $NV_LIBDIRS or ldconfig (is the NVIDIA driver's graphics part mounted? --allow-any-icd takes another driver)")
fi
env_note ld_library_path "${LD_LIBRARY_PATH:-}"

# A python with torch: $TORCH_PYTHON, the image's python3 (PyTorch's venv on the GPU image), Debian's.
PY=""
for p in "${TORCH_PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch' >/dev/null 2>&1 && { PY=$(command -v "$p"); break; }
done
if [ -n "$PY" ]; then
  TV=$("$PY" -c 'import torch; c = torch.cuda.is_available(); print(int(c), torch.__version__, "cuda" if c else "no cuda", torch.cuda.get_device_name(0) if c else "")' 2>&1 | tail -1)
  env_note torch "$PY: ${TV#* }"
  CUDA=${TV%% *}
  [ "$CUDA" = 1 ] || CUDA=0
else
  env_note torch "no python with torch"
  CUDA=0
fi
for m in "${MISSING[@]}"; do say "MISSING: $m"; env_note missing "$m"; done

# One part: name, its own time limit (s), then the command. Stops at the part's limit or at what is
# left of the budget (10 s kept for the report), whichever is first.
N=0
part() {
  local name=$1 limit=$2; shift 2
  N=$((N + 1))
  local meta="$WORK/parts/$(printf %02d $N)-$name"
  local l; l=$(left); l=$((l - 10))
  { echo "name=$name"; echo "command=$*"; } > "$meta.meta"
  if [ "$l" -lt 15 ]; then
    echo "status=skipped (time budget of ${BUDGET}s spent)" >> "$meta.meta"; say "$name: skipped, budget spent"; return
  fi
  [ "$limit" -gt "$l" ] && limit=$l
  say "$name: $* (limit ${limit}s)"
  local s0; s0=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$meta.log" 2>&1
  local rc=$?
  { echo "rc=$rc"; echo "seconds=$(( $(date +%s) - s0 ))"; echo "limit=$limit"; } >> "$meta.meta"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo "status=stopped at its ${limit}s limit" >> "$meta.meta"
  elif [ $rc -eq 0 ]; then echo "status=ok" >> "$meta.meta"
  else echo "status=failed (exit $rc)" >> "$meta.meta"; fi
  { echo; echo "════ $name (rc $rc, $(( $(date +%s) - s0 )) s): $*"; cat "$meta.log"; } >> "$LOG"
  say "$name: rc $rc after $(( $(date +%s) - s0 ))s"
}
skip() { N=$((N + 1)); { echo "name=$1"; echo "command="; echo "status=skipped ($2)"; } > "$WORK/parts/$(printf %02d $N)-$1.meta"; say "$1: skipped ($2)"; }

# --small is for a CPU driver (lavapipe, ≈ 0.1 GFLOP/s): the paper G forward (with its fixed 32³
# warm-up) cannot finish there, so its parts get 40 s and are recorded as stopped.
if [ "$SMALL" = 1 ]; then
  CONV=(--size 16 --step-size 16 --channels 8 --reps 1); STEP=(--preset tiny --size 16 --warmup-size 8); FWD=16; FWD_LIMIT=40; CONV_LIMIT=90
  TSTEP=(--encoder '[[4,8],[8,16]]' --size 16 --classes 7)
else
  CONV=(--size 96); STEP=(--preset paper --size 64 --warmup-size 32); FWD=96; FWD_LIMIT=120; CONV_LIMIT=150
  TSTEP=(--encoder '[[32,64],[64,128],[128,256],[256,512]]' --size 64 --classes 7)
fi
GPU_OK=0
if [ -n "$NODE" ] && [ -f "$DAWN" ] && [ -n "${VK_DRIVER_FILES:-}" ]; then
  cat > "$WORK/probe.mjs" <<EOF
const { create, globals } = await import('$DEV/node_modules/webgpu/index.js');
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
if (!a) { console.log(JSON.stringify({ adapter: null })); process.exit(3); }
const l = {};
for (const k of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup']) l[k] = a.limits[k];
console.log(JSON.stringify({ adapter: a.info ? { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description } : 'no info', limits: l }));
EOF
  part adapter 60 "$NODE" "$WORK/probe.mjs"
  if grep -q '"adapter":{' "$(ls "$WORK"/parts/*-adapter.log)"; then
    GPU_OK=1
    if [ "$ANY_ICD" = 0 ] && ! grep -qi 'nvidia' "$(ls "$WORK"/parts/*-adapter.log)"; then
      say "WARNING: the adapter is not NVIDIA's"; env_note warning "the WebGPU adapter is not NVIDIA's"
    fi
  fi
else
  skip adapter "no Node, dawn.node or Vulkan ICD: see missing"
fi

if [ "$GPU_OK" = 1 ]; then
  part conv3d_webgpu "$CONV_LIMIT" "$NODE" "$DEV/conv3d.mjs" --backends webgpu --no-torch "${CONV[@]}"
  part step_webgpu 150 "$NODE" "$DEV/paperStep.mjs" --backends webgpu --no-torch "${STEP[@]}" --json "$WORK/step_webgpu.json"
  part forward_webgpu "$FWD_LIMIT" "$NODE" "$DEV/paperForward.mjs" --child unet --backend webgpu --size "$FWD"
else
  skip conv3d_webgpu "no WebGPU adapter"; skip step_webgpu "no WebGPU adapter"; skip forward_webgpu "no WebGPU adapter"
fi
if [ -n "$PY" ]; then
  if [ "$CUDA" = 1 ]; then part torch_step_cuda 90 "$PY" tools/torch_step.py --device cuda --steps 3 "${TSTEP[@]}"
  else skip torch_step_cuda "torch sees no CUDA device"; fi
  part torch_step_cpu 120 "$PY" tools/torch_step.py --device cpu --threads "$NPROC" "${TSTEP[@]}"
  part torch_forward_cpu "$FWD_LIMIT" "$PY" tools/torch_forward.py --net unet --size "$FWD" --out 3 --runs 1 --threads "$NPROC"
else
  skip torch_step_cuda "no python with torch"; skip torch_step_cpu "no python with torch"; skip torch_forward_cpu "no python with torch"
fi
if [ -n "$NODE" ] && [ "$NO_CPU" = 0 ] && [ -f "$DEV/paperStep.mjs" ]; then
  part step_cpu 240 "$NODE" "$DEV/paperStep.mjs" --backends cpu --no-torch "${STEP[@]}" --json "$WORK/step_cpu.json"
  part forward_cpu "$((FWD_LIMIT + 60))" "$NODE" "$DEV/paperForward.mjs" --child unet --backend cpu --size "$FWD"
else
  skip step_cpu "--no-cpu or no Node"; skip forward_cpu "--no-cpu or no Node"
fi

env_note finished "$(date -u +%Y-%m-%dT%H:%M:%SZ) after $(( $(date +%s) - T0 )) s"
if [ -n "$NODE" ] && "$NODE" "$ROOT/scripts/device-report.mjs" "$WORK" "$OUTDIR" >> "$LOG" 2>&1; then
  say "report: $OUTDIR/device-report.md, $OUTDIR/device-report.json"
else
  # No Node to format it: the raw parts still go back.
  { echo "# GPU device check (raw: no Node to format the report)"; echo; sed 's/^/    /' "$WORK/env.txt"; for m in "$WORK"/parts/*.meta; do echo; sed 's/^/    /' "$m"; done; } > "$OUTDIR/device-report.md"
  say "report (raw): $OUTDIR/device-report.md"
fi
cat "$OUTDIR/device-report.md"
# Unpacked, dawn.node would add 21 MB to what a later run carries.
[ "$DAWN_UNPACKED" = 1 ] && rm -f "$DAWN"
rm -rf "$WORK"
