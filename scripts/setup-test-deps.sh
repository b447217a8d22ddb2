#!/usr/bin/env bash
# System packages the tests need, from Debian's archive. kubectl is on the machines already;
# etcd (server and etcdctl) comes from Debian's etcd-server and etcd-client packages, for the
# etcd tests. Idempotent; needs root (the machines run as root).
set -euo pipefail
command -v kubectl >/dev/null || { echo "kubectl is required on PATH for the end-to-end tests" >&2; exit 1; }
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package may start a default etcd on 2379; the tests use their own ports.
# (no `| head`: with pipefail, etcd's SIGPIPE would fail the script)
versions=$(etcd --version)
echo "${versions%%$'\n'*}"
