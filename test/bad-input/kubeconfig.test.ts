// Bad kubeconfigs: each is refused in one line that names the file, the entry or the field, the
// way kubectl words it, before anything is sent (exit 2); an unreachable server (a closed
// loopback port) is a failure (exit 1) naming the server.
import { describe } from 'node:test';
import { type BadInput, badInputs } from '../helpers/bad-input.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0==\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const CLOSED = 'https://127.0.0.1:1';

/** A kubeconfig with one context `x` over cluster `c` and user `u`; fields as YAML lines. */
function kubeconfig(cluster: string[], user: string[] = ['token: abc'], extra = ''): string {
  const indent = (lines: string[]) => lines.map((l) => `    ${l}`).join('\n');
  return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
${indent(cluster)}
users:
- name: u
  user:
${indent(user)}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
${extra}`;
}

function kc(story: string, file: string, err: RegExp, names = 'kc.yaml', code: 1 | 2 = 2, args = ['cordon', 'node01']): BadInput {
  return { story, files: { 'kc.yaml': file }, args: ['--kubeconfig', 'kc.yaml', ...args], code, err, names };
}

const cases: BadInput[] = [
  { story: 'a --kubeconfig that does not exist (the real binary, its own process)', process: true, args: ['--kubeconfig', 'missing.yaml', 'cordon', 'node01'], code: 2, err: /^error: kubeconfig file missing\.yaml \(from --kubeconfig\) does not exist$/, names: 'missing.yaml' },
  { story: 'a --kubeconfig that is a directory', setup: async () => undefined, args: ['--kubeconfig', '.', 'cordon', 'node01'], code: 2, err: /^error: kubeconfig file \. \(from --kubeconfig\) does not exist$/, names: '.' },
  kc('an empty kubeconfig', '', /^error: error loading kubeconfig kc\.yaml: the file is empty$/),
  kc('a kubeconfig that is not YAML', '{{{', /^error: error loading kubeconfig kc\.yaml: /),
  kc('a kubeconfig without a current context', kubeconfig([`server: ${CLOSED}`]).replace('current-context: x', ''), /^error: no current context is set in kc\.yaml; pass --context NAME \(contexts: x\)$/),
  kc('a current context that does not exist', kubeconfig([`server: ${CLOSED}`]).replace('current-context: x', 'current-context: y'), /^error: current context "y" does not exist in kc\.yaml \(contexts: x\)$/),
  kc('a context naming a cluster that does not exist', kubeconfig([`server: ${CLOSED}`]).replace('{cluster: c, user: u}', '{cluster: nope, user: u}'), /^error: context "x" refers to cluster "nope", which does not exist in kc\.yaml$/),
  kc('a context naming a user that does not exist', kubeconfig([`server: ${CLOSED}`]).replace('{cluster: c, user: u}', '{cluster: c, user: nobody}'), /^error: context "x" refers to user "nobody", which does not exist in kc\.yaml$/),
  { ...kc('--context that does not exist', kubeconfig([`server: ${CLOSED}`]), /^error: context "other" does not exist in kc\.yaml \(contexts: x\)$/, 'other'), args: ['--kubeconfig', 'kc.yaml', '--context', 'other', 'cordon', 'node01'] },
  kc('a server that is not a URL', kubeconfig(['server: not a url']), /^error: host must be a URL or a host:port pair: "not a url" \(server of cluster "c"\), in kc\.yaml$/, 'not a url'),
  kc('an ftp:// server', kubeconfig(['server: ftp://example.test']), /^error: host must be a URL or a host:port pair: "ftp:\/\/example\.test"/, 'ftp://example.test'),
  kc('a cluster without a server', kubeconfig(['insecure-skip-tls-verify: true']), /^error: error loading kubeconfig kc\.yaml: clusters\[0\]\.cluster\.server is missing$/),
  kc('insecure-skip-tls-verify: maybe', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: maybe']), /^error: cannot unmarshal "maybe" into insecure-skip-tls-verify of cluster "c": must be true or false, in kc\.yaml$/, 'insecure-skip-tls-verify'),
  kc('insecure-skip-tls-verify: "true" (a string)', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: "true"']), /^error: cannot unmarshal "true" into insecure-skip-tls-verify/, 'insecure-skip-tls-verify'),
  kc('insecure-skip-tls-verify: 1', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: 1']), /^error: cannot unmarshal 1 into insecure-skip-tls-verify/, 'insecure-skip-tls-verify'),
  kc('a CA together with insecure-skip-tls-verify', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: true', `certificate-authority-data: ${b64(PEM)}`]), /^error: specifying a root certificates file with the insecure flag is not allowed \(cluster "c"/, 'insecure'),
  kc('certificate-authority-data that is not base64', kubeconfig([`server: ${CLOSED}`, "certificate-authority-data: '!!!not base64'"]), /^error: certificate-authority-data of cluster "c": illegal base64 data, in kc\.yaml$/, 'certificate-authority-data'),
  kc('certificate-authority-data that is not PEM', kubeconfig([`server: ${CLOSED}`, `certificate-authority-data: ${b64('hello world')}`]), /^error: unable to load root certificates of cluster "c": unable to parse bytes as PEM block/, 'certificate-authority-data'),
  kc('certificate-authority-data that is a private key', kubeconfig([`server: ${CLOSED}`, `certificate-authority-data: ${b64('-----BEGIN PRIVATE KEY-----\nMII=\n-----END PRIVATE KEY-----\n')}`]), /unable to parse bytes as PEM block/, 'certificate-authority-data'),
  kc('a certificate-authority file that does not exist', kubeconfig([`server: ${CLOSED}`, 'certificate-authority: /nonexistent/ca.crt']), /^error: unable to read certificate-authority \/nonexistent\/ca\.crt for cluster "c" due to open \/nonexistent\/ca\.crt: no such file or directory, in kc\.yaml$/, '/nonexistent/ca.crt'),
  kc('a certificate-authority that is a directory', kubeconfig([`server: ${CLOSED}`, 'certificate-authority: /tmp']), /^error: unable to read certificate-authority \/tmp for cluster "c" due to read \/tmp: is a directory/, '/tmp'),
  { ...kc('a certificate-authority file that is not PEM', kubeconfig([`server: ${CLOSED}`, 'certificate-authority: {dir}/ca.crt']), /^error: unable to load root certificates from .*ca\.crt \(cluster "c"\): unable to parse bytes as PEM block/, 'ca.crt'), files: { 'kc.yaml': kubeconfig([`server: ${CLOSED}`, 'certificate-authority: {dir}/ca.crt']), 'ca.crt': 'not a certificate\n' } },
  kc('a tokenFile that does not exist', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: true'], ['tokenFile: /nonexistent/token']), /^error: unable to read tokenFile \/nonexistent\/token for user "u" due to open \/nonexistent\/token: no such file or directory, in kc\.yaml$/, '/nonexistent/token'),
  kc('a tokenFile that is a directory', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: true'], ['tokenFile: /tmp']), /^error: unable to read tokenFile \/tmp for user "u" due to read \/tmp: is a directory/, '/tmp'),
  kc('a client-certificate that does not exist', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: true'], ['client-certificate: /nonexistent/client.crt', 'client-key: /nonexistent/client.key']), /^error: unable to read client-cert \/nonexistent\/client\.crt for user "u"/, '/nonexistent/client.crt'),
  kc('a client-key that does not exist', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: true'], ['client-key: /nonexistent/client.key']), /^error: unable to read client-key \/nonexistent\/client\.key for user "u"/, '/nonexistent/client.key'),
  kc('an unreachable https server (a closed loopback port)', kubeconfig([`server: ${CLOSED}`, 'insecure-skip-tls-verify: true']), /^error: unable to connect to the server https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/, 'https://127.0.0.1:1', 1),
  kc('an unreachable http server (a closed loopback port)', kubeconfig(['server: http://127.0.0.1:1']), /^error: unable to connect to the server http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/, 'http://127.0.0.1:1', 1),
  { story: 'KUBECONFIG listing only files that do not exist', args: ['cordon', 'node01'], env: { KUBECONFIG: '/nonexistent/a:/nonexistent/b' }, code: 2, err: /^error: none of the files in KUBECONFIG exist \(\/nonexistent\/a, \/nonexistent\/b\)$/, names: '/nonexistent/a' },
  { story: 'no kubeconfig anywhere', args: ['cordon', 'node01'], code: 2, err: /^error: no configuration has been provided: pass --kubeconfig, set KUBECONFIG, or create ~\/\.kube\/config/, names: '--kubeconfig' },
  { ...kc('a bad kubeconfig for drain', kubeconfig(['server: not a url']), /^error: host must be a URL/, 'not a url'), args: ['--kubeconfig', 'kc.yaml', 'drain', 'node01'] },
  { ...kc('a bad kubeconfig for plan', kubeconfig([`server: ${CLOSED}`, 'certificate-authority: /nonexistent/ca.crt']), /unable to read certificate-authority/, '/nonexistent/ca.crt'), args: ['--kubeconfig', 'kc.yaml', 'plan'] },
];

describe('bad kubeconfigs', { concurrency: 6, timeout: 300_000 }, () => badInputs(cases));
