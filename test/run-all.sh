#!/usr/bin/env bash
# Everything CI runs, in order, each step's result counted; the last line is the
# total as `N passed, N failed`. Needs `npm ci` first (and installs the rest:
# Chromium, ripgrep, libkrb5-dev from Debian, code-server into a cache folder).
#   lint + type-check, unit tests (mocha in Node), vsce package, the integration
#   suite inside code-server's extension host, the web extension's suites in the
#   web-worker host, the canary (a failing suite must
#   turn the harness red), UI runs from the folder and from the .vsix (Node and web-worker hosts), and issue
#   #18's model flow in both hosts.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
passed=0 failed=0
log="$(mktemp)"

# step NAME COMMAND...: runs it, counts the runner's own `N passed, N failed` line
# when it prints one, else the step itself as one check.
step() {
  local name="$1"; shift
  echo "::: $name"
  local start=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line
  line="$(grep -E '^(\[[0-9:]+\] )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/^\[[0-9:]+\] //')"
  if [ -n "$line" ]; then
    local p f
    p="$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')"
    f="$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')"
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p)); failed=$((failed + f))
  elif [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
  echo "::: $name: exit $rc after $((SECONDS - start)) s"
}

step "lint" npm run -s lint
step "type-check" npm run -s typecheck
step "unit tests" npm test --silent
step "vsce package" npx vsce package --no-dependencies -o conv-visual-debugger.vsix
step "the .vsix holds only what runs" node out/test/e2e/checkPackage.js
step "code-server install" bash test/e2e/setup.sh
step "integration suite in VS Code (code-server)" node out/test/e2e/run.js integration
step "web extension: suites in the web-worker extension host" node out/test/e2e/run.js web
step "zh-cn: VS Code in Simplified Chinese (--locale zh-cn)" node out/test/e2e/run.js zh-cn
step "accessibility: the panel by keyboard alone, and in four themes" node out/test/e2e/run.js a11y
step "the getting-started walkthrough" node out/test/e2e/run.js walkthrough
step "canary: a failing suite turns the harness red" node out/test/e2e/run.js canary
step "UI: extension from its folder" node out/test/e2e/run.js ui
step "UI: issue #18's model flow (model, photo, gallery, node, z_t, debugger step)" node out/test/e2e/run.js ui --only modelflow
step "UI: the model flow in the web-worker extension host" node out/test/e2e/run.js ui --only modelflow --web
step "UI: extension installed from the .vsix" node out/test/e2e/run.js ui --vsix conv-visual-debugger.vsix
step "UI: the .vsix in the web-worker extension host (as on vscode.dev)" node out/test/e2e/run.js ui --vsix conv-visual-debugger.vsix --web
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
