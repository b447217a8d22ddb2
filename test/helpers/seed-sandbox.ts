// The seed scenario with its Deployment blue Available: where the CLI tests start.
import assert from 'node:assert/strict';
import { testSandbox, type TestSandbox } from './sandbox.js';

export async function seedSandbox(): Promise<TestSandbox> {
  const sb = await testSandbox();
  const ready = await sb.kubectl(['wait', '--for=condition=Available', 'deployment/blue', '--timeout=60s']);
  if (ready.code !== 0) await sb.stop();
  assert.equal(ready.code, 0, ready.stderr);
  return sb;
}
