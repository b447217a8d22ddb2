#!/usr/bin/env node
// Copies the sandbox's data files (Kubernetes' protobuf definitions and OpenAPI documents, kept
// in the source tree) next to the compiled modules in dist/, which load them from there, and
// writes beside each OpenAPI spec the field index validation reads (fields-1.3x.json, derived
// from that spec by the compiled openapi/fields.js, so a starting sandbox skips parsing 3 MB).
// Run after `tsc`: node scripts/copy-sandbox-data.mjs
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const DATA = ['src/sandbox/server/protobuf/proto', 'src/sandbox/server/openapi/data'];
for (const dir of DATA) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}

const compiled = path.resolve('dist/src/sandbox/server/openapi');
const { SPEC_MINORS, specFor, fieldIndexFile } = await import(pathToFileURL(path.join(compiled, 'spec.js')).href);
const { fieldIndex } = await import(pathToFileURL(path.join(compiled, 'fields.js')).href);
for (const minor of SPEC_MINORS) {
  const index = fieldIndex(specFor(minor).definitions);
  writeFileSync(path.join(compiled, 'data', fieldIndexFile(minor)), JSON.stringify(index));
}
