// Versions that cannot be read: refused before the cluster is asked, one line naming the flag
// and the value, exit 2; numbers out of range are refused instead of planning millions of hops.
import { describe } from 'node:test';
import { type BadInput, CLOSED_PORT_KUBECONFIG, badInputs } from '../helpers/bad-input.js';

const KC = CLOSED_PORT_KUBECONFIG;

function to(value: string, err: RegExp): BadInput {
  return { story: `plan --to ${JSON.stringify(value)}`, files: { 'kc.yaml': KC }, args: ['--kubeconfig', 'kc.yaml', 'plan', '--to', value], code: 2, err, names: `"${value}" for --to` };
}

const cases: BadInput[] = [
  to('latest', /^error: invalid value "latest" for --to: invalid version "latest": expected vMAJOR\.MINOR\[\.PATCH\], e\.g\. v1\.31\.4 or 1\.31$/),
  to('stable-1.31', /invalid version "stable-1\.31"/),
  to('v1', /invalid version "v1"/),
  to('', /invalid version ""/),
  to('1.x.2', /invalid version "1\.x\.2"/),
  to('v1.31.4.5', /invalid version "v1\.31\.4\.5"/),
  to('1.31-rc.1', /a pre-release needs a patch version/),
  to('v 1.31.4', /invalid version "v 1\.31\.4"/),
  to('v1.10000000', /^error: invalid value "v1\.10000000" for --to: invalid version "v1\.10000000": minor version 10000000 is out of range \(at most 99999\)$/),
  to('v1.30.99999999999999999999', /patch version 99999999999999999999 is out of range/),
  to('123456.1.0', /major version 123456 is out of range/),
  to('v1.31.4+', /invalid version "v1\.31\.4\+"/),
  to('v-1.31', /invalid version "v-1\.31"/),
  to('１.３１', /invalid version/),
  {
    story: 'sandbox node upgrade --version v1.32',
    files: { 'kc.yaml': KC },
    args: ['--kubeconfig', 'kc.yaml', 'sandbox', 'node', 'upgrade', 'node01', '--version', 'v1.32'],
    code: 2,
    err: /^error: invalid value "v1\.32" for --version: use a version like v1\.32\.0$/,
    names: 'v1.32',
  },
];

describe('versions that cannot be read', { concurrency: 6, timeout: 300_000 }, () => badInputs(cases));
