# The two commands of the README: `make demo` and `make test`. Both install what is missing.
SWIFT ?= swift
# Tests run on a release build: the engine's numeric tests are 10–50× slower in debug.
TEST_FLAGS ?= -c release -Xswiftc -enable-testing
# The OpenBLAS kernels circ pins (Sources/Tensor/BLASKernels.swift), for the tests' process too.
export OPENBLAS_CORETYPE ?= Haswell

.PHONY: deps build demo test bench docs

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

# docs/language.md = the hand-written part + the builtin reference generated from the registry.
docs: build
	cat docs/language-intro.md > docs/language.md
	.build/release/circ doc >> docs/language.md
