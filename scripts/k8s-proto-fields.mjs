#!/usr/bin/env node
// Builds src/sandbox/server/protobuf/proto/fields.json from Kubernetes' Go API types: for each
// protobuf message, its fields in Go struct order with the JSON name and what Go's encoding/json
// does with them (omitempty, pointer, inline). The protobuf wire format cannot tell "zero" from
// "unset" for Go's non-pointer fields, so turning a message into the JSON kube would produce needs
// these facts, which only the Go struct tags carry.
//
// Usage: node scripts/k8s-proto-fields.mjs <kubernetes/api git dir> <kubernetes/apimachinery git dir> <tag> [out] [kubernetes/kube-aggregator git dir]
// (kube-aggregator: the APIService types kube-apiserver serves; same tag)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import console from 'node:console';

const [apiDir, machineryDir, tag] = process.argv.slice(2);
if (!apiDir || !machineryDir || !tag) {
  console.error('usage: k8s-proto-fields.mjs <api git dir> <apimachinery git dir> <tag>');
  process.exit(2);
}
const API = ['core/v1', 'apps/v1', 'batch/v1', 'policy/v1', 'coordination/v1', 'rbac/v1', 'storage/v1', 'scheduling/v1', 'networking/v1', 'discovery/v1', 'autoscaling/v1', 'autoscaling/v2', 'authentication/v1', 'authorization/v1', 'certificates/v1', 'events/v1'];
const sources = [
  ...API.map((p) => ({ dir: apiDir, path: p, pkg: `k8s.io.api.${p.replace('/', '.')}` })),
  { dir: machineryDir, path: 'pkg/apis/meta/v1', pkg: 'k8s.io.apimachinery.pkg.apis.meta.v1' },
  { dir: machineryDir, path: 'pkg/runtime', pkg: 'k8s.io.apimachinery.pkg.runtime' },
  ...(process.argv[6] ? [{ dir: process.argv[6], path: 'pkg/apis/apiregistration/v1', pkg: 'k8s.io.kube_aggregator.pkg.apis.apiregistration.v1' }] : []),
];
const git = (dir, ...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const out = {};
for (const s of sources) {
  const files = git(s.dir, 'ls-tree', '--name-only', tag, `${s.path}/`).split('\n').filter((f) => /\.go$/.test(f) && !/_test\.go$|generated|zz_/.test(f));
  for (const f of files) parseGo(git(s.dir, 'show', `${tag}:${f}`), s.pkg);
}
writeFileSync(process.argv[5] ?? 'src/sandbox/server/protobuf/proto/fields.json', JSON.stringify({ source: `kubernetes/api, kubernetes/apimachinery${process.argv[6] ? ' and kubernetes/kube-aggregator' : ''} ${tag}, Go struct tags`, messages: out }) + '\n');

function parseGo(text, pkg) {
  let current;
  for (const line of text.split('\n')) {
    const start = /^type (\w+) struct \{/.exec(line);
    if (start) {
      current = [];
      out[`${pkg}.${start[1]}`] = current;
      continue;
    }
    if (!current) continue;
    if (/^\}/.test(line)) {
      current = undefined;
      continue;
    }
    const m = /^\s*(?:(\w+)\s+)?([^\s`]+)\s+`([^`]*)`/.exec(line);
    if (!m) continue;
    const [, name, type, tags] = m;
    const pb = /protobuf:"(\w+),(\d+),/.exec(tags);
    if (!pb) continue;
    const json = /json:"([^"]*)"/.exec(tags)?.[1] ?? '';
    const [jsonName, ...opts] = json.split(',');
    let flags = '';
    if (opts.includes('omitempty')) flags += 'o';
    if (type.startsWith('*')) flags += 'p';
    if (!jsonName || opts.includes('inline')) flags += 'i';
    current.push([Number(pb[2]), jsonName || name || '', flags]);
  }
}
