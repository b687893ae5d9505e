# tokenportal — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...

.PHONY: run test test-quick verify generate build package bench load fuzz db-url clean help a11y-tools

help:
	@echo "make run         start the portal with a private database and demo data"
	@echo "make test        run every test against a real PostgreSQL"
	@echo "make test-quick  the same without the end-to-end package (go test -short)"
	@echo "make verify      gofmt, go vet, staticcheck, templ output in sync"
	@echo "make generate    regenerate templ code"
	@echo "make a11y-tools  install the accessibility checkers of the browser tests (npm ci)"
	@echo "make build       build bin/tokenportal"
	@echo "make package     build the Debian package bin/tokenportal_VERSION_ARCH.deb"
	@echo "make bench       run the benchmarks"
	@echo "make load        run the load test against the real binary (about 5 minutes)"
	@echo "make fuzz        run every fuzz target for FUZZTIME (default 20s) each"

## run: the portal with a private PostgreSQL under ./var, the demo seeded, URLs and credentials printed.
## Built, then run (not `go run`, which exits 1 when it sees Ctrl-C): on Ctrl-C
## the binary shuts down and exits 0, so make reports no error.
run:
	@$(GO) build -o bin/tokenportal ./cmd/tokenportal
	@exec bin/tokenportal dev

## test: every test package against real PostgreSQL (TEST_DATABASE_URL, else 127.0.0.1:5432, else a private cluster).
test: a11y-tools
	@bash .ci/postgres
	@url="$$($(GO) run ./cmd/tokenportal dev --test-database)" && \
	  echo "testing against $${url%%\?*}" && \
	  TEST_DATABASE_URL="$$url" $(GO) test -count=1 -timeout 20m $(PKGS)

## test-quick: the unit and HTTP tests; under -short the end-to-end package skips itself.
test-quick:
	@bash .ci/postgres
	@url="$$($(GO) run ./cmd/tokenportal dev --test-database)" && \
	  echo "testing against $${url%%\?*}" && \
	  TEST_DATABASE_URL="$$url" $(GO) test -short -count=1 -timeout 10m $(PKGS)

## a11y-tools: axe-core and html-validate for the browser tests, at the exact versions of
## cmd/tokenportal/e2e/a11y/package-lock.json, into its node_modules (ignored by git);
## again only when the lock file changed.
A11Y := cmd/tokenportal/e2e/a11y
a11y-tools: $(A11Y)/node_modules/.package-lock.json
$(A11Y)/node_modules/.package-lock.json: $(A11Y)/package.json $(A11Y)/package-lock.json
	@cd $(A11Y) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

verify:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; cp -r views go.mod go.sum "$$tmp/"; \
	  (cd "$$tmp" && $(GO) tool templ generate >/dev/null 2>&1) || { echo "templ generate failed"; exit 1; }; \
	  if ! diff -r -q views "$$tmp/views" >/dev/null; then echo "generated templ code is stale: run 'make generate' and commit"; diff -r -q views "$$tmp/views"; exit 1; fi
	@echo "verify: ok"

generate:
	$(GO) tool templ generate

build:
	$(GO) build -o bin/tokenportal ./cmd/tokenportal

## package: the Debian package (cmd/tokenportal/packaging, nfpm pinned in go.mod) in
## PKGDIR; prints its path last. Version from `git describe` (tag vX.Y.Z: X.Y.Z[+N.gHASH]),
## else 0.0.0+gitDATE.HASH.
PKGDIR     ?= bin
MAINTAINER ?= tokenportal maintainers <root@localhost>
package:
	@set -euo pipefail; \
	  arch="$$($(GO) env GOARCH)"; \
	  if desc="$$(git describe --tags --dirty --match 'v[0-9]*' 2>/dev/null)"; then \
	    version="$$(echo "$${desc#v}" | sed 's/-/+/; s/-/./g')"; \
	  elif rev="$$(git rev-parse --short HEAD 2>/dev/null)"; then \
	    version="0.0.0+git$$(git log -1 --format=%cd --date=format:%Y%m%d%H%M%S).$$rev"; \
	    git diff --quiet HEAD 2>/dev/null || version="$$version.dirty"; \
	  else \
	    version=0.0.0; \
	  fi; \
	  mkdir -p "$(PKGDIR)"; \
	  bin="$(PKGDIR)/tokenportal-linux-$$arch"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH="$$arch" $(GO) build -trimpath -ldflags='-s -w' -o "$$bin" ./cmd/tokenportal; \
	  deb="$(PKGDIR)/tokenportal_$${version}_$$arch.deb"; \
	  rm -f "$$deb"; \
	  TOKENPORTAL_BIN="$$bin" VERSION="$$version" GOARCH="$$arch" MAINTAINER="$(MAINTAINER)" \
	    $(GO) tool nfpm package --config cmd/tokenportal/packaging/nfpm.yaml --packager deb --target "$$deb" >&2; \
	  echo "$$deb"

bench:
	@bash .ci/postgres
	@url="$$($(GO) run ./cmd/tokenportal dev --test-database)" && \
	  TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## load: the load test (build tag "load") on the real binary; prints the table of README § Performance.
load:
	@bash .ci/postgres
	@url="$$($(GO) run ./cmd/tokenportal dev --test-database)" && \
	  echo "load test against $${url%%\?*}" && \
	  TEST_DATABASE_URL="$$url" $(GO) test -tags load -run TestLoad -count=1 -timeout 30m -v ./cmd/tokenportal/e2e/

## fuzz: each fuzz target for FUZZTIME, one at a time. Their seeds and the
## cases under testdata/fuzz already run in `make test`.
FUZZTIME ?= 20s
FUZZ_TARGETS := \
	./workflow/tokenimport:FuzzParseCSV \
	./workflow/tokenimport:FuzzParsePSKC \
	./workflow/otp:FuzzVerify \
	./workflow/radius:FuzzDecode \
	./workflow:FuzzSplitPIN \
	./workflow:FuzzMatch \
	./workflow:FuzzNormalizeRecoveryCode \
	./workflow:FuzzNormalizePhone \
	./workflow:FuzzNormalizePhoneIn \
	./workflow:FuzzParseNetwork \
	./workflow:FuzzPortalNetworks \
	./portal:FuzzPortalLogin \
	./portal:FuzzPortalRestore \
	./portal:FuzzPortalActions \
	./admin:FuzzAdminUsers \
	./admin:FuzzAdminResources \
	./admin:FuzzAdminTokens \
	./admin:FuzzAdminIssues \
	./admin:FuzzAdminSignIn \
	./admin:FuzzAdminAccounts \
	./admin:FuzzAdminAPIKeys \
	./admin:FuzzAdminSettings \
	./admin:FuzzAdminRetention \
	./admin:FuzzAdminDirectories \
	./admin:FuzzAPIUsers \
	./admin:FuzzAPIPortal \
	./admin:FuzzAPIValidate

fuzz:
	@bash .ci/postgres
	@url="$$($(GO) run ./cmd/tokenportal dev --test-database)" && \
	  for t in $(FUZZ_TARGETS); do \
	    pkg="$${t%%:*}"; name="$${t##*:}"; echo "== $$name ($$pkg, $(FUZZTIME))"; \
	    TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
	  done

clean:
	rm -rf bin
