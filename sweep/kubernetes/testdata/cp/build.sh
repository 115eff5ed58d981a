#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager for the Kubernetes
# integration test (make test-k8s) from the module k8s.io/kubernetes, once,
# into a cache outside the repository that later runs reuse.
#
# k8s.io/kubernetes points its 33 k8s.io/* modules at ./staging, which its
# module zip does not hold: the small main module written here requires it
# and replaces each staging module by its published release of the same
# minor (v1.X.Y -> v0.X.Y), generated from that go.mod's replace lines.
#
# Prints the directory holding both binaries on success. About 4 minutes a
# binary on 2 cores; the module cache grows by about 300 MB.
set -euo pipefail

version=${K8S_VERSION:-v1.37.2}
staging=v0.${version#v1.}
dir="${XDG_CACHE_HOME:-$HOME/.cache}/xp-ci/kube-$version"
if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kube-controller-manager" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$dir/src"
cd "$dir/src"
log="$dir/build.log"
: >"$log"

gomod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
if [ -z "$gomod" ] || [ ! -f "$gomod" ]; then
	echo "cannot download k8s.io/kubernetes@$version (no module proxy?)" >&2
	exit 1
fi
go_line=$(grep -m1 '^go ' "$gomod")
{
	echo "module xpkubecp"
	echo
	echo "$go_line"
	echo
	echo "require k8s.io/kubernetes $version"
	echo
	# "	k8s.io/api => ./staging/src/k8s.io/api" -> "replace k8s.io/api => k8s.io/api v0.37.2"
	sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._/-]*\) => \./staging/.*$#replace \1 => \1 '"$staging"'#p' "$gomod"
} >go.mod

for cmd in kube-apiserver kube-controller-manager; do
	mkdir -p "cmd/$cmd"
done
cat >cmd/kube-apiserver/main.go <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }
GO
cat >cmd/kube-controller-manager/main.go <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() { os.Exit(cli.Run(app.NewControllerManagerCommand())) }
GO

GOFLAGS=-mod=mod go mod tidy >>"$log" 2>&1 || { echo "go mod tidy failed: see $log" >&2; exit 1; }
for cmd in kube-apiserver kube-controller-manager; do
	CGO_ENABLED=0 go build -trimpath -o "$dir/build-$cmd" "./cmd/$cmd" >>"$log" 2>&1 || { echo "building $cmd failed: see $log" >&2; exit 1; }
	mv "$dir/build-$cmd" "$dir/$cmd"
done
echo "$dir"
