# transfer-operator: every developer task has a target here. `make help` lists them.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
export GOTOOLCHAIN := local

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN_DIR ?= bin
# The one build command: the Dockerfile runs `make build` too.
GO_BUILD_FLAGS ?= -trimpath -ldflags "-s -w -X main.version=$(VERSION)"
CONTROLLER_GEN := go tool controller-gen
STATICCHECK_VERSION ?= v0.8.2
CRD_REF_DOCS_VERSION ?= v0.3.0
TEST_TIMEOUT ?= 30m
KUBEBUILDER_ASSETS_CMD := hack/setup-envtest.sh

.PHONY: all
all: build

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-z-]+:.*##/ { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: manifests
manifests: ## Generate the CRDs and the RBAC role from the kubebuilder markers, and copy them into the chart.
	$(CONTROLLER_GEN) rbac:roleName=transfer-operator crd:allowDangerousTypes=false paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/sync-chart.sh

.PHONY: generate
generate: ## Generate the deepcopy functions.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths="./api/..."

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: docs
docs: ## Generate the API reference docs/api.md from the Go types (crd-ref-docs, pinned).
	go run github.com/elastic/crd-ref-docs@$(CRD_REF_DOCS_VERSION) --source-path ./api/v1alpha1 \
		--config hack/crd-ref-docs.yaml --renderer markdown --output-path docs/api.md --log-level ERROR

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: vet ## Run go vet and staticcheck (built from the module proxy at a pinned version).
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

.PHONY: envtest
envtest: ## Build (once) the kube-apiserver, etcd, kube-controller-manager and kubectl binaries the tests run.
	@$(KUBEBUILDER_ASSETS_CMD) >/dev/null

.PHONY: test-tools
test-tools: ## Install the tools the tests drive besides Go (the AWS CLI, the OpenSSH sftp client and sshd, promtool).
	hack/install-test-tools.sh
	@hack/install-promtool.sh >/dev/null

.PHONY: test
test: test-tools ## Run every test, against a real API server (envtest) and the emulator; never from the test cache.
	KUBEBUILDER_ASSETS="$$($(KUBEBUILDER_ASSETS_CMD))" go test -count=1 -timeout $(TEST_TIMEOUT) ./...

.PHONY: test-chaos
test-chaos: ## Run the fault scenarios of test/chaos longer, with random seeds (TRANSFER_CHAOS_SEED=n replays one).
	KUBEBUILDER_ASSETS="$$($(KUBEBUILDER_ASSETS_CMD))" TRANSFER_CHAOS=long \
		go test -timeout 60m -count=1 -v ./test/chaos/

.PHONY: verify
verify: manifests generate fmt docs ## Regenerate everything and fail if the tree changed.
	go mod tidy
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "verify: generated files or go.mod are out of date; run 'make manifests generate fmt docs' and 'go mod tidy' and commit:"; \
		git status --porcelain; git --no-pager diff --stat; exit 1; \
	fi

.PHONY: build
build: ## Build the manager binary into bin/.
	CGO_ENABLED=0 go build $(GO_BUILD_FLAGS) -o $(BIN_DIR)/transfer-operator .

.PHONY: run
run: manifests ## Run the operator against the current kubeconfig (and real AWS or AWS_ENDPOINT_URL_TRANSFER).
	go run . --dev

.PHONY: demo
demo: ## Run the whole operator locally against a local control plane and the emulator.
	@hack/install-test-tools.sh
	@go build -o $(BIN_DIR)/demo ./hack/demo
	@$(BIN_DIR)/demo

.PHONY: bench
bench: ## Run the performance benchmarks and write bench-results.json.
	KUBEBUILDER_ASSETS="$$($(KUBEBUILDER_ASSETS_CMD))" go run ./hack/bench $(BENCH_FLAGS)

.PHONY: helm-lint
helm-lint: ## Lint the Helm chart.
	"$$($(KUBEBUILDER_ASSETS_CMD) helm)/helm" lint --strict charts/transfer-operator

.PHONY: helm-sync
helm-sync: ## Copy the generated CRDs and RBAC rules into the Helm chart.
	hack/sync-chart.sh

.PHONY: helm-docs
helm-docs: ## Regenerate the values table of the Helm chart's README from values.yaml.
	go test ./test/helm -run '^TestChartReadmeDocumentsEveryValue$$' -count=1 -update
