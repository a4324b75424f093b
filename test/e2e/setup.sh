#!/usr/bin/env bash
# Installs what the real-VS-Code harness needs, skipping what is already there:
#   Debian: chromium (the browser), ripgrep (code-server's search, instead of a GitHub
#   download), libkrb5-dev (headers for code-server's kerberos addon), python3-debugpy
#   and python3-numpy (a Python program to debug), fonts-wqy-microhei (Chinese text in screenshots);
#   code-server 4.100.3, pinned by test/e2e/code-server/package-lock.json, into a cache
#   folder outside the repo ($CODE_SERVER_HOME, default ~/.cache/conv-visual-debugger).
# Prints the code-server binary's path as its last line.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${CODE_SERVER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/conv-visual-debugger}"
LOCK="$HERE/code-server/package-lock.json"
# One folder per lockfile content: a changed pin installs fresh, never on top of the old one.
KEY="$(sha256sum "$LOCK" | cut -c1-12)"
DEST="$CACHE/code-server-$KEY"
CS="$DEST/node_modules/.bin/code-server"
say() { echo "[setup] $*" >&2; }

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
# A real Python debuggee for the "tensors from any debug session" tests: Debian's python3 with numpy and debugpy.
/usr/bin/python3 -c 'import debugpy, numpy' >/dev/null 2>&1 || need+=(python3-debugpy python3-numpy)
# A CJK font, so the zh-cn run's screenshots show Chinese rather than empty boxes.
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "apt-get install ${need[*]}"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

if ! "$CS" --version >/dev/null 2>&1; then
  say "installing code-server (pinned) into $DEST"
  rm -rf "$DEST" && mkdir -p "$DEST"
  cp "$HERE/code-server/package.json" "$LOCK" "$DEST/"
  # @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache has the archive: give it Debian's rg.
  RGC="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$RGC" "$DEST/.rg"
  cp "$(command -v rg)" "$DEST/.rg/rg"
  tar czf "$RGC/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$DEST/.rg" rg
  # unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty's postinstall runs `npx node-gyp`.
  if ! (cd "$DEST" && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error) > "$CACHE/code-server-install.log" 2>&1; then
    tail -40 "$CACHE/code-server-install.log" >&2
    rm -rf "$DEST"
    exit 1
  fi
fi
say "$("$CS" --version | head -1)"
echo "$CS"
