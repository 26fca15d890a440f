#!/bin/sh
# Builds composer-cli (github.com/osbuild/weldr-client) offline with the Go of Debian bookworm (1.19), to run the real
# client against our Weldr socket (test/weldr/composer-cli-live.test.ts picks it up from IBS_COMPOSER_CLI).
#
#   scripts/build-composer-cli.sh WELDR_CLIENT_DIR [OUTPUT]            (default OUTPUT: WELDR_CLIENT_DIR/composer-cli)
#   WELDR_DEPS_DIR=DIR scripts/build-composer-cli.sh WELDR_CLIENT_DIR  (dependencies as checkouts, see below)
#
# WELDR_CLIENT_DIR is a weldr-client source tree (a release tarball, `git archive` of a checkout); it is patched in
# place, so give it a copy. weldr-client vendors its dependencies (vendor/): the build then needs no network. Without
# vendor/, WELDR_DEPS_DIR must hold one checkout per module of go.mod's require lines, at its module path
# (DIR/github.com/BurntSushi/toml, DIR/gopkg.in/yaml.v3 ...): they are wired with `replace` directives.
# Local patches for Go 1.19 (weldr-client's go.mod says 1.22): the go directive is lowered and the standard library's
# `slices` (Go 1.21) is replaced by a small package with the one function weldr-client uses (slices.Contains). The
# build stops if the sources use anything else newer than Go 1.19 that this script does not patch.
set -eu

src=${1:?usage: build-composer-cli.sh WELDR_CLIENT_DIR [OUTPUT]}
src=$(cd "$src" && pwd)
out=${2:-$src/composer-cli}
module=github.com/osbuild/weldr-client/v2

[ -f "$src/go.mod" ] || { echo "no go.mod in $src" >&2; exit 1; }
command -v go >/dev/null || { echo "go not found (apt-get install golang-go)" >&2; exit 1; }

# The version composer-cli reports (`composer-cli version`): the Makefile's, or WELDR_VERSION.
version=${WELDR_VERSION:-$(sed -n 's/^VERSION ?= //p' "$src/Makefile" 2>/dev/null || true)}
version=${version:-unknown}

# 1. The go directive: Go 1.19 rejects three-part versions and would refuse a newer language version.
sed -i 's/^go [0-9.]*$/go 1.19/; /^toolchain /d' "$src/go.mod"

# 2. slices (Go 1.21) -> internal/slices.
if grep -rlq --include='*.go' '^[[:space:]]*"slices"$' "$src/cmd" "$src/weldr" "$src/cloud" "$src/internal" 2>/dev/null; then
  others=$(grep -rhoE --include='*.go' '\bslices\.[A-Za-z]+' "$src/cmd" "$src/weldr" "$src/cloud" "$src/internal" | sort -u | grep -v '^slices\.Contains$' || true)
  [ -z "$others" ] || { echo "sources use slices functions this script does not provide: $others" >&2; exit 1; }
  mkdir -p "$src/internal/slices"
  cat >"$src/internal/slices/slices.go" <<'EOF'
// Package slices stands in for the standard library's slices (Go 1.21) in a Go 1.19 build.
package slices

// Contains reports whether v is present in s.
func Contains[S ~[]E, E comparable](s S, v E) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}
EOF
  grep -rl --include='*.go' '^[[:space:]]*"slices"$' "$src/cmd" "$src/weldr" "$src/cloud" "$src/internal" |
    xargs sed -i "s#^\([[:space:]]*\)\"slices\"\$#\1\"$module/internal/slices\"#"
fi

# 3. Anything else newer than Go 1.19: maps/cmp/iter packages (the build would fail on them; say why).
newer=$(grep -rlE --include='*.go' '^[[:space:]]*"(maps|cmp|iter)"$' "$src/cmd" "$src/weldr" "$src/cloud" "$src/internal" 2>/dev/null || true)
[ -z "$newer" ] || { echo "sources import packages newer than Go 1.19 (maps/cmp/iter): $newer" >&2; exit 1; }

# 4. Dependencies: vendor/ when present, else replace directives to the checkouts in WELDR_DEPS_DIR.
if [ -f "$src/vendor/modules.txt" ]; then
  mode=vendor
else
  deps=${WELDR_DEPS_DIR:?no vendor/ in $src: set WELDR_DEPS_DIR to a directory of dependency checkouts}
  mode=mod
  sed -n 's/^[[:space:]]*\([a-z0-9.]*\/[^ ]*\) v[^ ]*.*$/\1/p' "$src/go.mod" | sort -u | while read -r dep; do
    dir=$deps/$dep
    [ -d "$dir" ] || { echo "missing checkout of $dep in $deps" >&2; exit 1; }
    # A module without go.mod (go-spew 1.1.1, go-difflib 1.0.0) needs one to be a replacement directory; one that
    # asks for a Go newer than 1.19 (or writes a patch version, which 1.19 rejects) is lowered like weldr-client's.
    [ -f "$dir/go.mod" ] || printf 'module %s\n\ngo 1.19\n' "$dep" >"$dir/go.mod"
    sed -i 's/^go 1\.\(19\|[2-9][0-9]\)\(\.[0-9]*\)\{0,1\}$/go 1.19/; /^toolchain /d' "$dir/go.mod"
    (cd "$src" && go mod edit -replace "$dep=$dir")
  done
fi

cd "$src"
GOFLAGS=-mod=$mode GOPROXY=off GOTOOLCHAIN=local GOSUMDB=off \
  go build -ldflags="-X $module/cmd/composer-cli/root.Version=$version" -o "$out" ./cmd/composer-cli
echo "built $out ($("$out" version))"
