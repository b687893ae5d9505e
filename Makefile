# tokenportal — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...

.PHONY: run test verify generate build bench fuzz db-url clean help

help:
	@echo "make run       start the portal with a private database and demo data"
	@echo "make test      run every test against a real PostgreSQL"
	@echo "make verify    gofmt, go vet, templ output in sync"
	@echo "make generate  regenerate templ code"
	@echo "make build     build bin/tokenportal"
	@echo "make bench     run the benchmarks"

## run: the portal with a private PostgreSQL under ./var, the demo seeded, URLs and credentials printed.
run:
	$(GO) run ./cmd/tokenportal dev

## test: every test package against real PostgreSQL (TEST_DATABASE_URL, else 127.0.0.1:5432, else a private cluster).
test:
	@bash .ci/postgres
	@url="$$($(GO) run ./cmd/tokenportal dev --test-database)" && \
	  echo "testing against $${url%%\?*}" && \
	  TEST_DATABASE_URL="$$url" $(GO) test -count=1 -timeout 20m $(PKGS)

verify:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; cp -r views go.mod go.sum "$$tmp/"; \
	  (cd "$$tmp" && $(GO) tool templ generate >/dev/null 2>&1) || { echo "templ generate failed"; exit 1; }; \
	  if ! diff -r -q views "$$tmp/views" >/dev/null; then echo "generated templ code is stale: run 'make generate' and commit"; diff -r -q views "$$tmp/views"; exit 1; fi
	@echo "verify: ok"

generate:
	$(GO) tool templ generate

build:
	$(GO) build -o bin/tokenportal ./cmd/tokenportal

bench:
	@bash .ci/postgres
	@url="$$($(GO) run ./cmd/tokenportal dev --test-database)" && \
	  TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
