#!/usr/bin/env bash
# Casts to object shapes in non-test source (the foundation issue's measure): `as Obj`, `as {...}`,
# `as Record<...>`, `as SomeType`, `as SomeType[]`; not `as const`, `as unknown` or primitives.
# Usage: scripts/count-casts.sh [DIR...]   (default src); -l lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
list=0
if [ "${1:-}" = "-l" ]; then list=1; shift; fi
dirs=("${@:-src}")
hits=$(grep -rEn '\bas (\{|Record<|Array<|Partial<|Pick<|Omit<|Readonly<|Required<|[A-Z][A-Za-z0-9_.]*(<[^;]*>)?(\[\])*)' "${dirs[@]}" --include=*.ts | grep -v '\.test\.ts:' | grep -v '/testing/' | grep -vE '^\S+:[0-9]+:\s*(//|\*)' | grep -v 'in keyof' || true)
if [ "$list" = 1 ]; then printf '%s\n' "$hits"; fi
printf '%s\n' "$hits" | grep -c . || true
