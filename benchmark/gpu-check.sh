#!/usr/bin/env bash
# GPU collector check on a machine with an NVIDIA GPU, its driver and PyTorch: runs a
# bf16 matrix-multiply load, then samples with the collector's NVML reader
# (examples/gpu_sample) and with nvidia-smi at the same 1 s ticks, side by side.
# Usage: benchmark/gpu-check.sh [path/to/gpu_sample] [output folder]
set -euo pipefail
SAMPLER=${1:-target/release/examples/gpu_sample}
OUTDIR=${2:-gpu-check}
SECONDS_SAMPLED=20
mkdir -p "$OUTDIR"
nvidia-smi -L | tee "$OUTDIR/gpus.txt"
nvidia-smi --query-gpu=driver_version,name --format=csv,noheader | tee -a "$OUTDIR/gpus.txt"
python3 - > "$OUTDIR/load.log" 2>&1 <<'PY' &
import time, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, flush=True)
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn_like(a)
end = time.time() + 45
n = 0
t0 = time.time()
while time.time() < end:
    for _ in range(20):
        c = a @ b
    torch.cuda.synchronize()
    n += 20
dt = time.time() - t0
print(f"matmuls {n} in {dt:.1f} s: {2 * 8192**3 * n / dt / 1e12:.0f} TFLOP/s", flush=True)
PY
LOAD=$!
sleep 10
# Both readers tick once a second from the same moment for the same duration.
nvidia-smi --query-gpu=timestamp,index,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu,clocks.sm \
  --format=csv,noheader,nounits -lms 1000 > "$OUTDIR/nvidia-smi.csv" &
SMI=$!
"$SAMPLER" "$SECONDS_SAMPLED" 1000 > "$OUTDIR/collector.jsonl"
kill "$SMI" || true
wait "$LOAD"
cat "$OUTDIR/load.log"
echo "--- nvidia-smi"; cat "$OUTDIR/nvidia-smi.csv"
echo "--- collector"; head -c 1500 "$OUTDIR/collector.jsonl"; echo
