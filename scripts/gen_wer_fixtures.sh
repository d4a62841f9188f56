#!/usr/bin/env bash
# Regenerates tests/integration/data/openai_whisper_<model>.json: openai-whisper 20250625 (torch, fp32)
# on the very weights of models/base and models/tiny.en, fp32 greedy at temperature 0 only (a single
# temperature: no fallback), condition_on_previous_text on, thresholds at their defaults, English
# clips with language=en, gb0.wav (long-form, with segments), and for base the multilingual clips
# with language detection. Needs .venv-ow (openai-whisper + Debian python3-torch) and .venv-wer.
# Slow (minutes per model on 2 cores): run it when the clips, references or models change.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/tests/integration/data"
mkdir -p "$OUT"
for model in ${MODELS:-tiny.en base}; do
  "$ROOT/bench/wer" --engine openai-whisper -m "$ROOT/models/$model" --clips all \
    --beam-size 1 --temperature 0 --threads "${THREADS:-2}" \
    --json "$OUT/.openai_whisper_$model.run.json" --write-fixture "$OUT/openai_whisper_$model.json"
  rm -f "$OUT/.openai_whisper_$model.run.json"
done
