# scripts/versions.sh — the versions of everything built from Go modules, and
# where their binaries are cached. Sourced by scripts/setup, the Makefile and
# e2e/controlplane; change a version here and the cache key changes with it.
KUBE_VERSION=v1.36.3
KUBE_MAJOR=1
KUBE_MINOR=36
HELM_VERSION=v3.22.0
# etcd: "debian" uses Debian's etcd-server package; "go" builds ETCD_VERSION
# from go.etcd.io/etcd through e2e/etcd.
ETCD_SOURCE=debian
ETCD_VERSION=v3.4.23
GO_MIN_VERSION=1.26.0

ONCOATLAS_CACHE="${ONCOATLAS_CACHE:-$HOME/.cache/oncoatlas}"
KUBE_BIN_DIR="$ONCOATLAS_CACHE/kube-$KUBE_VERSION/bin"
HELM_BIN_DIR="$ONCOATLAS_CACHE/helm-$HELM_VERSION/bin"
ETCD_BIN_DIR="$ONCOATLAS_CACHE/etcd-$ETCD_VERSION/bin"
if [ "$ETCD_SOURCE" = debian ]; then ETCD_BIN_DIR=/usr/bin; fi
# The PATH prefix that puts the project's binaries first.
ONCOATLAS_PATH="$KUBE_BIN_DIR:$HELM_BIN_DIR:$ETCD_BIN_DIR"
