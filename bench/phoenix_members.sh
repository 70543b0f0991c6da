#!/usr/bin/env bash
# Train ensemble members for models/phoenix-gloss2text (issue 13 item 6), one per seed, in
# parallel (meant for a GPU: AMP on CUDA; on 2 CPU cores each member takes over an hour).
# Every member shares the shipped bundle's tokenizer and gloss vocabulary (the vocabulary is
# rebuilt from the same training file, and checked equal afterwards), so members can be
# ensembled with `slrweb ensemble-translation`.
#
# usage: bench/phoenix_members.sh DATA_DIR OUT_DIR STAGE1_EPOCHS STAGE1_MINUTES STAGE2_MINUTES SEED...
# Stage 1 is the shipped recipe's first run (lr 1e-3, 400 warm-up steps, inverse square root)
# for a fixed number of epochs, keeping the best greedy dev score: no early stop and no plateau
# restarts (the first GPU members, stopped by patience 7 with restarts at half the rate, ended
# 1.2-2.1 BLEU below the shipped model; STAGE1_STOP overrides these flags). Stage 2 continues it
# at a constant 2e-4 for 8 epochs and keeps the mean of the 9 epoch weights (the shipped
# bundle's checkpoint averaging). Each stage stops after its minutes at the end of an epoch.
# With PACK=DIR set, each member's weights are also written as DIR/seedN.safetensors (float16)
# and everything else (bundles without weights, logs) as DIR/members.tgz: a device's files
# come back only under 16 MiB each (larger ones as DIR/NAME.safetensors.partNN pieces of 15 MiB:
# `cat NAME.safetensors.part* > NAME.safetensors`); PACK_TOP=N packs only the N members of best
# dev BLEU (a device returns 8 files at most).
# With VARIANTS=FILE set, the SEED arguments are ignored and each line of FILE, `NAME SEED ARGS...`
# ('#' starts a comment), trains one member in OUT/NAME with ARGS after the shared recipe's
# (argparse keeps the last value, so ARGS override it): a sweep of sizes and regularisers.
set -euo pipefail
data=$1 out=$2 epochs1=$3 min1=$4 min2=$5
shift 5
py=${PYTHON:-python3}
stop1=${STAGE1_STOP:---patience 0 --plateau-factor 1.0}
# STAGE1_EXTRA: more flags for stage 1 alone, e.g. `--beam 1` to skip its final beam-8 dev pass
# (stage 1 keeps its best greedy dev epoch either way; stage 2 decodes with the recipe's beam).
extra1=${STAGE1_EXTRA:-}
common=(--input-kind gloss --language gsg
  --train-src "$data/phoenix2014T.train.gloss" --train-tgt "$data/phoenix2014T.train.de"
  --dev-src "$data/phoenix2014T.dev.gloss" --dev-tgt "$data/phoenix2014T.dev.de"
  --spm-model models/phoenix-gloss2text/spm.model --share-gloss-text
  --d-model 256 --heads 4 --enc-layers 2 --dec-layers 2 --d-ff 1024 --dropout 0.3
  --batch-size 32 --beam 8 --alpha 3.0 --max-len-a 2 --max-len-b 20 --min-len-a 1.6)
member() {  # NAME SEED [ARGS...]
  local name=$1 seed=$2 dir=$out/$1
  shift 2
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  $py -m translation.ml.cli train-translation "${common[@]}" "$@" --name phoenix-member-$name \
    --out "$dir/stage1" --checkpoint-dir "$dir/run1" --seed "$seed" --lr 1e-3 --warmup 400 \
    --epochs "$epochs1" $stop1 $extra1 --max-minutes "$min1" > "$dir/stage1.log" 2>&1
  $py -m translation.ml.cli train-translation "${common[@]}" "$@" --name phoenix-member-$name \
    --out "$dir/bundle" --checkpoint-dir "$dir/run2" --seed "$seed" --init-from "$dir/stage1" \
    --lr 2e-4 --warmup 100 --schedule constant --epochs 8 --patience 0 --average-last 9 \
    --max-minutes "$min2" > "$dir/stage2.log" 2>&1
}
names=()
if [[ -n "${VARIANTS:-}" ]]; then
  while read -r name seed args; do
    [[ -z $name || $name == \#* ]] && continue
    names+=("$name")
    # shellcheck disable=SC2086
    member "$name" "$seed" $args &
  done < "$VARIANTS"
else
  for seed in "$@"; do
    names+=("seed$seed")
    member "seed$seed" "$seed" &
  done
fi
status=0
for _ in "${names[@]}"; do wait -n || status=$?; done
if [[ -n "${PACK:-}" ]]; then
  mkdir -p "$PACK"
  ranked=$($py -c 'import json, sys, pathlib
scores = {}
for name in sys.argv[2:]:
    m = pathlib.Path(sys.argv[1], name, "bundle", "metrics.json")
    if m.is_file():
        scores[name] = json.loads(m.read_text())["bleu4"]
for name in sorted(scores, key=scores.get, reverse=True):
    print(name, scores[name], file=sys.stderr)
    print(name)' "$out" "${names[@]}")
  for name in $(head -n "${PACK_TOP:-1000}" <<< "$ranked"); do
    w=$out/$name/bundle/model.safetensors
    $py -c 'import sys, torch; from safetensors.torch import load_file, save_file
t = load_file(sys.argv[1]); save_file({k: v.half() if v.is_floating_point() else v for k, v in t.items()}, sys.argv[2])' "$w" "$PACK/$name.safetensors"
    if (( $(stat -c %s "$PACK/$name.safetensors") > 15 * 1024 * 1024 )); then
      split -b 15M -d "$PACK/$name.safetensors" "$PACK/$name.safetensors.part" && rm "$PACK/$name.safetensors"
    fi
  done
  tar -czf "$PACK/members.tgz" --exclude='*.safetensors' --exclude='*.pt' -C "$out" .
fi
exit $status
