#!/usr/bin/env bash
# The demo behind `make demo`: two knowledge updates of the sample corpus, an approval, and questions.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PWD/.venv/bin:$PATH"
export MEMO_CONFIG=examples/demo.yaml
export PREFECT_HOME="$PWD/.memo/demo/prefect"
export PREFECT_LOGGING_EXTRA_LOGGERS=memo_core
DEMO=.memo/demo
CORPUS=$DEMO/corpus

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
started=$(date +%s)

rm -rf "$DEMO"
mkdir -p "$CORPUS" "$PREFECT_HOME"
cp examples/batch1/* "$CORPUS/"

step "1/6  Update on batch 1: $(ls "$CORPUS" | wc -l) documents -> reflections -> train -> evaluate -> register"
memo update

step "2/6  Approve the candidate: it becomes champion"
memo approve candidate --reviewer demo

step "3/6  Ask the champion five held-out questions (never trained on; 1 and 2 hops)"
python - <<'PY'
import json
rows = [json.loads(line) for line in open("examples/questions.jsonl")]
picked = [r for r in rows if r["id"] in ("q004", "q008", "q017", "q077", "q078")]
with open(".memo/demo/questions.txt", "w") as fh:
    for r in picked:
        fh.write(f"{r['question']}\t{r['answer']}\n")
PY
while IFS=$'\t' read -r question expected; do
  printf '\nQ: %s\n' "$question"
  answer=$(memo ask --trace "$question")
  printf '%s\n   (reference answer: %s)\n' "$answer" "$expected"
done < "$DEMO/questions.txt"

step "4/6  Update with batch 2: new documents, one changed, one removed (incremental, with replay)"
cp examples/batch2/* "$CORPUS/"
while read -r removed; do rm -f "$CORPUS/$removed"; done < examples/batch2-removed.txt
memo update

step "5/6  Versions and scores (new_knowledge: batch-2 facts; retention: batch-1 facts)"
memo status

step "6/6  Every held-out question of batch 1: the champion through the executive, beside BM25 retrieval"
python bench/ask.py --what sample --out "$DEMO/ask.json"

printf '\nDemo finished in %ss.\n' "$(( $(date +%s) - started ))"
