// Malformed flag values and arguments: refused before anything is read or sent, one line naming
// the flag and the value, exit 2. The kubeconfig points at a closed loopback port, so a check
// that came after connecting would show as "unable to connect" (exit 1) instead.
import { describe } from 'node:test';
import { type BadInput, CLOSED_PORT_KUBECONFIG, badInputs } from '../helpers/bad-input.js';

const KC = CLOSED_PORT_KUBECONFIG;

function flag(story: string, args: string[], err: RegExp, names: string): BadInput {
  return { story, files: { 'kc.yaml': KC }, args: ['--kubeconfig', 'kc.yaml', ...args], code: 2, err, names };
}

const cases: BadInput[] = [
  flag('drain --timeout xyz', ['drain', 'node01', '--timeout', 'xyz'], /^error: invalid argument "xyz" for "--timeout" flag/, 'xyz'),
  flag('drain --timeout 1x', ['drain', 'node01', '--timeout', '1x'], /"--timeout"/, '1x'),
  flag('drain --timeout -1s', ['drain', 'node01', '--timeout', '-1s'], /--timeout/, '-1s'),
  flag('drain --grace-period abc', ['drain', 'node01', '--grace-period', 'abc'], /^error: invalid value "abc" for --grace-period/, 'abc'),
  flag('drain --max-unavailable -1', ['drain', 'node01', '--max-unavailable', '-1'], /^error: invalid value "-1" for --max-unavailable/, '-1'),
  flag('drain --max-unavailable 0', ['drain', 'node01', '--max-unavailable', '0'], /--max-unavailable/, '--max-unavailable'),
  flag('drain --max-unavailable x', ['drain', 'node01', '--max-unavailable', 'x'], /--max-unavailable/, '"x"'),
  flag('drain --skip-wait-for-delete-timeout z', ['drain', 'node01', '--skip-wait-for-delete-timeout', 'z'], /--skip-wait-for-delete-timeout/, '"z"'),
  flag('drain --dry-run=maybe', ['drain', 'node01', '--dry-run=maybe'], /^error: Invalid dry-run value \(maybe\)\. Must be "none", "server", or "client"\.$/, 'maybe'),
  flag('drain -l a=b=c', ['drain', '-l', 'a=b=c'], /^error: invalid value "a=b=c" for -l\/--selector: found '=', expected: ',' or 'end of string'$/, 'a=b=c'),
  flag('drain -l "a in (b"', ['drain', '-l', 'a in (b'], /^error: invalid value "a in \(b" for -l\/--selector/, 'a in (b'),
  flag('drain -l !!', ['drain', '-l', '!!'], /for -l\/--selector/, '!!'),
  flag('cordon -l a=b=c', ['cordon', '-l', 'a=b=c'], /^error: invalid value "a=b=c" for -l\/--selector/, 'a=b=c'),
  flag('uncordon -l "x notin"', ['uncordon', '-l', 'x notin'], /for -l\/--selector/, 'x notin'),
  flag("cordon ''", ['cordon', ''], /^error: resource name may not be empty$/, 'resource name'),
  flag("uncordon ''", ['uncordon', ''], /^error: resource name may not be empty$/, 'resource name'),
  flag("drain ''", ['drain', ''], /^error: resource name may not be empty$/, 'resource name'),
  flag("drain ' '", ['drain', ' '], /^error: resource name may not be empty$/, 'resource name'),
  flag('cordon with names and -l', ['cordon', 'node01', '-l', 'a=b'], /node01|selector/, 'selector'),
  flag('plan --os windows', ['plan', '--os', 'windows'], /^error: invalid value "windows" for --os: must be one of debian, ubuntu, apt \(apt\); rhel, centos, rocky, alma, fedora, dnf, yum \(dnf\/yum\); or both$/, 'windows'),
  flag('plan -o wide', ['-o', 'wide', 'plan'], /wide/, 'wide'),
  flag('sandbox node upgrade without --version', ['sandbox', 'node', 'upgrade', 'node01'], /^error: required option '--version <version>' not specified \(run "upkeep --help" for usage\)$/, '--version'),
  flag('sandbox node upgrade --version 1.32', ['sandbox', 'node', 'upgrade', 'node01', '--version', '1.32'], /^error: invalid value "1\.32" for --version/, '1.32'),
  flag('sandbox node reboot --down-seconds -5', ['sandbox', 'node', 'reboot', 'node01', '--down-seconds', '-5'], /^error: invalid value "-5" for --down-seconds/, '-5'),
  flag('sandbox node reboot --down-seconds soon', ['sandbox', 'node', 'reboot', 'node01', '--down-seconds', 'soon'], /for --down-seconds/, 'soon'),
  flag('sandbox serve --port 70000', ['sandbox', 'serve', '--port', '70000'], /^error: invalid value "70000" for --port: must be an integer from 0 to 65535$/, '70000'),
  flag('sandbox serve --port -1', ['sandbox', 'serve', '--port', '-1'], /for --port/, '-1'),
  flag('sandbox serve --port http', ['sandbox', 'serve', '--port', 'http'], /for --port/, 'http'),
  flag('sandbox serve --time-scale 0', ['sandbox', 'serve', '--time-scale', '0'], /^error: invalid value "0" for --time-scale: must be a positive number$/, '--time-scale'),
  flag('sandbox serve --time-scale fast', ['sandbox', 'serve', '--time-scale', 'fast'], /for --time-scale/, 'fast'),
  flag('sandbox serve --log-level loud', ['sandbox', 'serve', '--log-level', 'loud'], /^error: invalid value "loud" for --log-level: use one of error, warn, info, debug$/, 'loud'),
  flag('sandbox serve --etcd not-a-url', ['sandbox', 'serve', '--etcd', 'not-a-url'], /^error: invalid value "not-a-url" for --etcd/, 'not-a-url'),
  flag('sandbox serve --etcd-cafile without --etcd', ['sandbox', 'serve', '--etcd-cafile', 'ca.crt'], /need --etcd/, '--etcd-cafile'),
  flag('sandbox serve --etcd-prefix registry', ['sandbox', 'serve', '--etcd', 'http://127.0.0.1:1', '--etcd-prefix', 'registry'], /for --etcd-prefix: must start with \//, 'registry'),
  flag('etcd snapshot save --dial-timeout soon', ['etcd', 'snapshot', 'save', 'out.db', '--endpoints', '127.0.0.1:1', '--dial-timeout', 'soon'], /--dial-timeout/, 'soon'),
  flag('etcd snapshot save --command-timeout 3', ['etcd', 'snapshot', 'save', 'out.db', '--endpoints', '127.0.0.1:1', '--command-timeout', '3'], /--command-timeout/, '--command-timeout'),
  flag('etcd snapshot restore --bump-revision -1', ['etcd', 'snapshot', 'restore', 'snap.db', '--bump-revision', '-1'], /--bump-revision/, '--bump-revision'),
  flag('drain --chunk-size -2', ['drain', 'node01', '--chunk-size', '-2'], /--chunk-size/, '-2'),
  flag('drain --pod-selector a=b=c', ['drain', 'node01', '--pod-selector', 'a=b=c'], /a=b=c/, 'a=b=c'),
  flag('-o for a format a command does not have', ['-o', 'toml', 'cordon', 'node01'], /toml/, 'toml'),
];

describe('malformed flags and arguments', { concurrency: 6, timeout: 300_000 }, () => badInputs(cases));
