#!/usr/bin/env bash
# Train ensemble members for models/phoenix-gloss2text (issue 13 item 6), one per seed, in
# parallel (meant for a GPU: AMP on CUDA; on 2 CPU cores each member takes over an hour).
# Every member shares the shipped bundle's tokenizer and gloss vocabulary (the vocabulary is
# rebuilt from the same training file, and checked equal afterwards), so members can be
# ensembled with `slrweb ensemble-translation`.
#
# usage: bench/phoenix_members.sh DATA_DIR OUT_DIR STAGE1_MINUTES STAGE2_MINUTES SEED...
# Stage 1 is the shipped recipe's first run (lr 1e-3, 400 warm-up steps, patience 7, plateau
# restart at half the rate); stage 2 continues it at a constant 2e-4 for 8 epochs and keeps the
# mean of the 9 epoch weights (the shipped bundle's checkpoint averaging).
set -euo pipefail
data=$1 out=$2 min1=$3 min2=$4
shift 4
py=${PYTHON:-python3}
common=(--input-kind gloss --language gsg
  --train-src "$data/phoenix2014T.train.gloss" --train-tgt "$data/phoenix2014T.train.de"
  --dev-src "$data/phoenix2014T.dev.gloss" --dev-tgt "$data/phoenix2014T.dev.de"
  --spm-model models/phoenix-gloss2text/spm.model --share-gloss-text
  --d-model 256 --heads 4 --enc-layers 2 --dec-layers 2 --d-ff 1024 --dropout 0.3
  --batch-size 32 --beam 8 --alpha 3.0 --max-len-a 2 --max-len-b 20 --min-len-a 1.6)
member() {
  local seed=$1 dir=$out/seed$1
  $py -m translation.ml.cli train-translation "${common[@]}" --name phoenix-member-s$seed \
    --out "$dir/stage1" --checkpoint-dir "$dir/run1" --seed "$seed" --lr 1e-3 --warmup 400 \
    --epochs 60 --patience 7 --plateau-factor 0.5 --max-minutes "$min1" > "$dir/stage1.log" 2>&1
  $py -m translation.ml.cli train-translation "${common[@]}" --name phoenix-member-s$seed \
    --out "$dir/bundle" --checkpoint-dir "$dir/run2" --seed "$seed" --init-from "$dir/stage1" \
    --lr 2e-4 --warmup 100 --schedule constant --epochs 8 --patience 0 --average-last 9 \
    --max-minutes "$min2" > "$dir/stage2.log" 2>&1
}
for seed in "$@"; do
  mkdir -p "$out/seed$seed"
  member "$seed" &
done
wait
