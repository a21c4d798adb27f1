# Every step a developer repeats, by name. `make run` and `make test` work on a machine with
# only Go and Node.js/npm: `make deps` installs the rest (dynalite from infra/package-lock.json,
# the Lambda Runtime Interface Emulator with go install).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

# How every Lambda binary is built, exported once: no RPC mode (provided.al2023 speaks the
# Runtime API only), reproducible and stripped, static.
export GOFLAGS := -tags=lambda.norpc -trimpath "-ldflags=-s -w"
export CGO_ENABLED := 0

BUILD_DIR ?= build
FUNCTIONS := $(sort $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go)))

GOBIN_DIR := $(or $(shell go env GOBIN),$(firstword $(subst :, ,$(shell go env GOPATH)))/bin)
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE := $(GOBIN_DIR)/aws-lambda-rie
DYNALITE_STAMP := infra/node_modules/.package-lock.json

.PHONY: build build-arm64 deps browser run test fuzz bench invoke lint deploy clean screenshots FORCE

## build: every function for this machine, into build/<name>/bootstrap
build: $(FUNCTIONS:%=$(BUILD_DIR)/%/bootstrap)

# Always handed to go build, which knows better than make whether anything changed.
$(BUILD_DIR)/%/bootstrap: FORCE
	go build -o $@ ./functions/$*
FORCE:

## build-arm64: every function as deployed (linux/arm64), into build/linux-arm64/<name>/bootstrap
build-arm64:
	$(MAKE) --no-print-directory build GOOS=linux GOARCH=arm64 BUILD_DIR=$(BUILD_DIR)/linux-arm64

# SAM's makefile build method runs `make build-<LogicalId>` with ARTIFACTS_DIR set; run by
# hand, the binary lands under build/linux-arm64/.
sam-build = GOOS=linux GOARCH=arm64 go build -o $(or $(ARTIFACTS_DIR),$(BUILD_DIR)/linux-arm64/$(1))/bootstrap ./functions/$(1)

build-AppSettingQueryFunction:
	$(call sam-build,appSettingQuery)
build-AppSettingSetFunction:
	$(call sam-build,appSettingSet)
build-ConsoleFunction:
	$(call sam-build,console)
build-EraseUsersFunction:
	$(call sam-build,eraseUsers)
build-AppWebhookReplayFunction:
	$(call sam-build,appWebhookReplay)
build-AppWebhookTestFunction:
	$(call sam-build,appWebhookTest)
build-WebhookDeliverFunction:
	$(call sam-build,webhookDeliver)
build-WebhookScheduleFunction:
	$(call sam-build,webhookSchedule)
build-FriendAddFunction:
	$(call sam-build,friendAdd)
build-FriendCheckFunction:
	$(call sam-build,friendCheck)
build-FriendCleanFunction:
	$(call sam-build,friendClean)
build-FriendDeleteFunction:
	$(call sam-build,friendDelete)
build-FriendGetFunction:
	$(call sam-build,friendGet)
build-FriendPermissionGetFunction:
	$(call sam-build,friendPermissionGet)
build-FriendPermissionSetFunction:
	$(call sam-build,friendPermissionSet)
build-FriendProfileSetFunction:
	$(call sam-build,friendProfileSet)
build-HttpDefaultFunction:
	$(call sam-build,httpDefault)
build-MessagePrivatePublishFunction:
	$(call sam-build,messagePrivatePublish)
build-UserBlacklistAddFunction:
	$(call sam-build,userBlacklistAdd)
build-UserBlacklistQueryFunction:
	$(call sam-build,userBlacklistQuery)
build-UserBlacklistRemoveFunction:
	$(call sam-build,userBlacklistRemove)
build-UserBlockFunction:
	$(call sam-build,userBlock)
build-UserBlockQueryFunction:
	$(call sam-build,userBlockQuery)
build-UserCheckOnlineFunction:
	$(call sam-build,userCheckOnline)
build-UserCheckOnlineBatchFunction:
	$(call sam-build,userCheckOnlineBatch)
build-UserChatFbQuerylistFunction:
	$(call sam-build,userChatFbQuerylist)
build-UserChatFbSetFunction:
	$(call sam-build,userChatFbSet)
build-UserDeactivateFunction:
	$(call sam-build,userDeactivate)
build-UserDeactivateQueryFunction:
	$(call sam-build,userDeactivateQuery)
build-UserDelusersFunction:
	$(call sam-build,userDelusers)
build-UserGetTokenFunction:
	$(call sam-build,userGetToken)
build-UserInfoFunction:
	$(call sam-build,userInfo)
build-UserProfileBatchQueryFunction:
	$(call sam-build,userProfileBatchQuery)
build-UserProfileCleanFunction:
	$(call sam-build,userProfileClean)
build-UserProfileQueryFunction:
	$(call sam-build,userProfileQuery)
build-UserProfileSetFunction:
	$(call sam-build,userProfileSet)
build-UserQueryFunction:
	$(call sam-build,userQuery)
build-UserReactivateFunction:
	$(call sam-build,userReactivate)
build-UserRefreshFunction:
	$(call sam-build,userRefresh)
build-UserSummaryFunction:
	$(call sam-build,userSummary)
build-UserTagBatchSetFunction:
	$(call sam-build,userTagBatchSet)
build-UserTagSetFunction:
	$(call sam-build,userTagSet)
build-UserTagsGetFunction:
	$(call sam-build,userTagsGet)
build-UserTokenExpireFunction:
	$(call sam-build,userTokenExpire)
build-UserUnblockFunction:
	$(call sam-build,userUnblock)
build-UserWhitelistAddFunction:
	$(call sam-build,userWhitelistAdd)
build-UserWhitelistQueryFunction:
	$(call sam-build,userWhitelistQuery)
build-UserWhitelistRemoveFunction:
	$(call sam-build,userWhitelistRemove)
build-UserWhitesettingQueryFunction:
	$(call sam-build,userWhitesettingQuery)
build-UserWhitesettingSetFunction:
	$(call sam-build,userWhitesettingSet)
build-WsAddToBlocklistFunction:
	$(call sam-build,wsAddToBlocklist)
build-WsAuthorizeFunction:
	$(call sam-build,wsAuthorize)
build-WsCheckBlockedFunction:
	$(call sam-build,wsCheckBlocked)
build-WsConnectFunction:
	$(call sam-build,wsConnect)
build-WsDisconnectFunction:
	$(call sam-build,wsDisconnect)
build-WsGetBlocklistFunction:
	$(call sam-build,wsGetBlocklist)
build-WsPingFunction:
	$(call sam-build,wsPing)
build-WsRemoveFromBlocklistFunction:
	$(call sam-build,wsRemoveFromBlocklist)
build-WsSendMessageFunction:
	$(call sam-build,wsSendMessage)

## deps: dynalite and playwright-core (npm ci in infra/), aws-lambda-rie and chromium; quick when all are there
deps: $(DYNALITE_STAMP) $(RIE) browser

# The console's browser test drives Debian's chromium package (infra/console); as root with
# apt-get it is installed here, otherwise the test says what is missing.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [[ $$(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium (apt-get) for the console's browser test"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "warning: chromium is not installed; the console's browser test will fail (apt-get install chromium)" >&2; \
		fi; \
	fi

# npm writes this file on every install, so it is newer than the lock exactly when the
# installed packages are current.
$(DYNALITE_STAMP): infra/package-lock.json infra/package.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(RIE):
	go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## run: the local twin on http://127.0.0.1:$${PORT:-8080} (data in .local/data)
# Built and started rather than `go run`, which reports a failure after the program stops
# cleanly on Ctrl-C.
run: deps
	go build -o $(BUILD_DIR)/local ./infra/local
	$(BUILD_DIR)/local

## test: every test, with the race detector
# The race detector needs cgo, and the test helpers find infra/ through their source paths,
# which -trimpath would hide: tests run without the Lambda build flags. Each test binary starts
# its own dynalite, which the kernel stops when the binary exits.
test: deps
	GOFLAGS= CGO_ENABLED=1 IM_RIE=$(RIE) go test -race -count=1 -timeout 20m ./...
	GOFLAGS= infra/scripts/fuzz.sh

## fuzz: every fuzz target for FUZZTIME each (default 3s), from its seed corpus in the repository
fuzz: deps
	GOFLAGS= infra/scripts/fuzz.sh

## bench: the benchmark report (round trips, capacity, latency, cold start, load) into reports/
bench: deps
	IM_RIE=$(RIE) go run ./infra/bench

## invoke: FN=<function> [EVENT=path]: build one function and run its bootstrap under aws-lambda-rie
## with a sample event (the sample users and the function's setup events go first)
invoke: deps
	@if [[ -z "$(FN)" ]]; then echo "usage: make invoke FN=<function> [EVENT=functions/<function>/events/<case>.json]" >&2; \
		echo "functions: $(FUNCTIONS)" >&2; exit 2; fi
	@if [[ ! -f functions/$(FN)/main.go ]]; then echo "no function $(FN); functions: $(FUNCTIONS)" >&2; exit 2; fi
	IM_RIE=$(RIE) go run ./infra/rie/invoke -fn $(FN) -build $(BUILD_DIR) $(if $(EVENT),-event $(EVENT))

## screenshots: the console's main screens as PNGs under docs/console/ (Chromium, as its browser test)
screenshots: deps
	mkdir -p docs/console
	GOFLAGS= IM_CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console go test -count=1 -run '^TestConsoleInABrowser$$' ./infra/console/

## lint: formatting and go vet
lint:
	@unformatted=$$(gofmt -l $$(go list -f '{{.Dir}}' ./...)); \
		if [[ -n "$$unformatted" ]]; then echo "gofmt -l reports:"; echo "$$unformatted"; exit 1; fi
	go vet ./...

## deploy: build for Lambda and deploy with the SAM CLI (asks for the stack's settings once)
deploy:
	sam build
	sam deploy --guided

## clean: build output (the local twin's data in .local/ stays)
clean:
	rm -rf $(BUILD_DIR) .aws-sam
