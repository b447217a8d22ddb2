#!/usr/bin/env bash
# System packages the tests need, from Debian's archive: kubectl is on the machines already;
# etcd (server and client) for the etcd tests. Idempotent; needs root (the machines run as root).
set -euo pipefail
need=()
command -v kubectl >/dev/null || { echo "kubectl is required on PATH for the end-to-end tests" >&2; exit 1; }
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
