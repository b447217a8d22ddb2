#!/usr/bin/env bash
# System packages the tests need, from Debian's archive. kubectl is on the machines already;
# etcd (server and etcdctl) comes from Debian's etcd-server and etcd-client packages, for the
# etcd tests; openssh-server (a real sshd for the SSH upgrader), tmux (terminal sessions for
# live-progress tests) and python3-kubernetes (the official Python client, for /usr/bin/python3) for the tests that
# use them. Idempotent; needs root (the machines run as root).
set -euo pipefail
command -v kubectl >/dev/null || { echo "kubectl is required on PATH for the end-to-end tests" >&2; exit 1; }
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v tmux >/dev/null || need+=(tmux)
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || need+=(python3-kubernetes)   # Debian's python3, not a pyenv one
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package may start a default etcd on 2379; the tests use their own ports.
# (no `| head`: with pipefail, etcd's SIGPIPE would fail the script)
versions=$(etcd --version)
echo "${versions%%$'\n'*}"
