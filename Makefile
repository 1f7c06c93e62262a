# The two commands of the README: `make demo` and `make test`. Both install what is missing.
SWIFT ?= swift
# Tests run on a release build: the engine's numeric tests are 10–50× slower in debug.
TEST_FLAGS ?= -c release -Xswiftc -enable-testing
# The OpenBLAS kernels circ pins (Sources/Tensor/BLASKernels.swift), for the tests' process too.
export OPENBLAS_CORETYPE ?= Haswell
# circ runs sgemm single-threaded (it splits products itself); OpenBLAS's idle threads would spin.
export OPENBLAS_NUM_THREADS = 1

.PHONY: deps build demo test bench bench-doc docs kernel notebook

deps:
	@missing=""; \
	for p in libedit-dev libopenblas-dev pkg-config; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product circ

demo: build
	.build/release/circ examples/quickstart.circ

test: deps
	$(SWIFT) test $(TEST_FLAGS)

bench: deps
	$(SWIFT) run -c release circ-bench

# docs/benchmarks.md: circ-bench's figures, each row with its date, commit and machine.
BENCH_DOC_FLAGS ?= --configs 2x128,3x256 --repeats 3
bench-doc: deps
	$(SWIFT) build -c release --product circ-bench
	.build/release/circ-bench $(BENCH_DOC_FLAGS) > .build/benchmarks.jsonl
	python3 scripts/bench_doc.py < .build/benchmarks.jsonl > .build/benchmarks.md
	mv .build/benchmarks.md docs/benchmarks.md

# docs/language.md = the hand-written part + the builtin reference generated from the registry.
docs: build
	cat docs/language-intro.md > docs/language.md
	.build/release/circ doc >> docs/language.md

# The Jupyter kernel: a venv in kernel/.venv with ipykernel, and the circ kernelspec for this user.
KERNEL_PYTHON = kernel/.venv/bin/python
$(KERNEL_PYTHON):
	python3 -m venv kernel/.venv
	kernel/.venv/bin/pip install -q ipykernel jupyter_client nbclient nbformat

kernel: build $(KERNEL_PYTHON)
	$(KERNEL_PYTHON) kernel/install_kernelspec.py .build/release/circ --user

# Re-executes docs/tutorial.ipynb with the kernel (from an empty circuit cache), outputs kept in the file.
notebook: kernel
	CIRC_CACHE=$$(mktemp -d) $(KERNEL_PYTHON) kernel/run_notebook.py docs/tutorial.ipynb docs/tutorial.ipynb
