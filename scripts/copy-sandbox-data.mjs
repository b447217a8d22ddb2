#!/usr/bin/env node
// Copies the sandbox's data files (Kubernetes' protobuf definitions and OpenAPI documents, kept
// in the source tree) next to the compiled modules in dist/, which load them from there.
// Run after `tsc`: node scripts/copy-sandbox-data.mjs
import { cpSync, existsSync } from 'node:fs';

const DATA = ['src/sandbox/server/protobuf/proto', 'src/sandbox/server/openapi/data'];
for (const dir of DATA) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
