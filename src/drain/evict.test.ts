// removePod against a scripted API server: what it sends (the UID precondition, grace period,
// dry run), and what it makes of each answer: budgets waited on and named, a recreated pod left
// alone, 5xx and dropped connections retried, overlapping budgets failing at once.
import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { formatGoDuration } from '../api/duration.js';
import type { KubeObject, Pod } from '../api/types.js';
import { KubeClient } from '../kube/index.js';
import { FakeApiServer, resetConnection, sendJson, sendStatus, startWatch, writeEvent, type RecordedRequest } from '../kube/testing/fake-apiserver.js';
import { backoffMs, parseBudgetCause, removePod, type BudgetWait, type RemovalOutcome } from './evict.js';
import type { DrainOptions } from './types.js';

type Answer = { code: number; body?: unknown; reason?: string; message?: string; causes?: { reason: string; message: string }[] } | 'reset' | { events: [string, KubeObject][] };
type Route = 'evict' | 'getPod' | 'watch' | 'delete' | 'listPdbs';

const pod = (uid: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-0', namespace: 'default', uid, resourceVersion: '5', labels: { app: 'web' } },
  status: { phase: 'Running' },
});
const pdb = (name: string): KubeObject => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } } } });
const ok = { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
const notFound = { code: 404, reason: 'NotFound', message: 'pods "web-0" not found' };
const budget429 = {
  code: 429,
  reason: 'TooManyRequests',
  message: "Cannot evict pod as it would violate the pod's disruption budget.",
  causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 1 healthy pods and has 1 currently' }],
};

function routeOf(req: RecordedRequest): Route | undefined {
  if (req.method === 'POST' && req.path.endsWith('/pods/web-0/eviction')) return 'evict';
  if (req.method === 'DELETE' && req.path.endsWith('/pods/web-0')) return 'delete';
  if (req.method === 'GET' && req.path.endsWith('/pods/web-0')) return 'getPod';
  if (req.method === 'GET' && req.path.endsWith('/pods') && req.query.get('watch') === 'true') return 'watch';
  if (req.method === 'GET' && req.path.endsWith('/poddisruptionbudgets')) return 'listPdbs';
  return undefined;
}

interface Case {
  name: string;
  /** Answers per route, in order; the last one repeats. */
  script: Partial<Record<Route, Answer[]>>;
  options?: Partial<DrainOptions>;
  /** Abort the signal on the first budget wait. */
  abortOnBudget?: boolean;
  outcome: RemovalOutcome;
  lines: string[];
  /** The routes hit, in order. */
  requests: Route[];
  budgets?: Pick<BudgetWait, 'budget' | 'attempts' | 'message'>[];
  check?: (requests: RecordedRequest[]) => void;
}

const cases: Case[] = [
  {
    name: 'evicts with the UID precondition and the grace period, then waits for DELETED on a watch',
    script: { evict: [ok], getPod: [{ code: 200, body: pod('u1') }], watch: [{ events: [['MODIFIED', { ...pod('u1'), metadata: { ...pod('u1').metadata, resourceVersion: '6', deletionTimestamp: '2025-01-01T00:00:00Z' } }], ['DELETED', pod('u1')]] }] },
    options: { gracePeriodSeconds: 10 },
    outcome: { kind: 'removed' },
    lines: ['evicting pod default/web-0', 'pod/web-0 evicted'],
    requests: ['evict', 'getPod', 'watch'],
    check: (reqs) => {
      assert.deepEqual(JSON.parse(reqs[0].body), {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'web-0', namespace: 'default' },
        deleteOptions: { preconditions: { uid: 'u1' }, gracePeriodSeconds: 10 },
      });
      assert.equal(reqs[2].query.get('fieldSelector'), 'metadata.name=web-0');
      assert.equal(reqs[2].query.get('resourceVersion'), '5');
    },
  },
  {
    name: 'a budget refusal is reported with the budget, then the same pod is asked for again',
    script: { evict: [budget429, ok], getPod: [{ code: 200, body: pod('u1') }, notFound] },
    outcome: { kind: 'removed' },
    lines: ['evicting pod default/web-0', 'budget default/web-pdb (1)', 'pod/web-0 evicted'],
    requests: ['evict', 'getPod', 'evict', 'getPod'],
    budgets: [{ budget: 'default/web-pdb', attempts: 1, message: 'The disruption budget web-pdb needs 1 healthy pods and has 1 currently' }],
  },
  {
    name: 'a budget refusal without a name in its cause: the budget is looked up',
    script: { evict: [{ ...budget429, causes: [{ reason: 'DisruptionBudget', message: 'budget exhausted' }] }, ok], getPod: [{ code: 200, body: pod('u1') }, notFound], listPdbs: [{ code: 200, body: { kind: 'PodDisruptionBudgetList', apiVersion: 'policy/v1', metadata: {}, items: [pdb('web-pdb')] } }] },
    outcome: { kind: 'removed' },
    lines: ['evicting pod default/web-0', 'budget default/web-pdb (1)', 'pod/web-0 evicted'],
    requests: ['evict', 'listPdbs', 'getPod', 'evict', 'getPod'],
  },
  {
    name: 'a pod recreated under the same name while a budget refuses is left alone',
    script: { evict: [budget429], getPod: [{ code: 200, body: pod('u2') }] },
    outcome: { kind: 'gone', why: 'pod/web-0 is now another pod (uid u2); the one on the node is gone' },
    lines: ['evicting pod default/web-0', 'budget default/web-pdb (1)', 'pod/web-0 is now another pod (uid u2); the one on the node is gone'],
    requests: ['evict', 'getPod'],
  },
  {
    name: 'a 409 on the UID precondition: the original is gone, the new pod is not touched',
    script: { evict: [{ code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on pods "web-0": Precondition failed: UID in precondition: u1, UID in object meta: u2' }] },
    outcome: { kind: 'gone', why: 'replaced' },
    lines: ['evicting pod default/web-0', 'pod/web-0 already gone (the name now belongs to a new pod, which is left alone)'],
    requests: ['evict'],
  },
  {
    name: '404: already gone, no "evicted" line (kubectl prints none either)',
    script: { evict: [notFound] },
    outcome: { kind: 'gone', why: 'not found' },
    lines: ['evicting pod default/web-0', 'pod/web-0 already gone'],
    requests: ['evict'],
  },
  {
    name: '5xx answers and dropped connections are retried',
    script: { evict: [{ code: 503, reason: 'ServiceUnavailable', message: 'the server is shutting down' }, 'reset', ok], getPod: [notFound] },
    outcome: { kind: 'removed' },
    lines: ['evicting pod default/web-0', 'retry', 'retry', 'pod/web-0 evicted'],
    requests: ['evict', 'evict', 'evict', 'getPod'],
  },
  {
    name: 'overlapping budgets fail at once, naming both budgets',
    script: { evict: [{ code: 500, message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' }], listPdbs: [{ code: 200, body: { kind: 'PodDisruptionBudgetList', apiVersion: 'policy/v1', metadata: {}, items: [pdb('a'), pdb('b')] } }] },
    outcome: {
      kind: 'failed',
      error: 'error when evicting pods/"web-0" -n "default": This pod has more than one PodDisruptionBudget, which the eviction subresource does not support. (selected by default/a and default/b; make them not overlap, or use --disable-eviction to bypass budgets)',
      needs: ['--disable-eviction'],
    },
    lines: ['evicting pod default/web-0'],
    requests: ['evict', 'listPdbs'],
  },
  {
    name: 'any other refusal fails the pod with kubectl\'s text',
    script: { evict: [{ code: 403, reason: 'Forbidden', message: 'pods "web-0" is forbidden: User "x" cannot create resource "pods/eviction"' }] },
    outcome: { kind: 'failed', error: 'error when evicting pods/"web-0" -n "default": pods "web-0" is forbidden: User "x" cannot create resource "pods/eviction"' },
    lines: ['evicting pod default/web-0'],
    requests: ['evict'],
  },
  {
    name: '--disable-eviction deletes (with the precondition) and says "deleted"',
    script: { delete: [{ code: 200, body: pod('u1') }], getPod: [notFound] },
    options: { disableEviction: true },
    outcome: { kind: 'removed' },
    lines: ['pod/web-0 deleted'],
    requests: ['delete', 'getPod'],
    check: (reqs) => assert.deepEqual(JSON.parse(reqs[0].body), { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'u1' } }),
  },
  {
    name: 'a server dry run sends dryRun All and waits for nothing',
    script: { evict: [ok] },
    options: { dryRun: 'server' },
    outcome: { kind: 'removed' },
    lines: ['evicting pod default/web-0 (server dry run)'],
    requests: ['evict'],
    check: (reqs) => assert.deepEqual(JSON.parse(reqs[0].body).deleteOptions, { preconditions: { uid: 'u1' }, dryRun: ['All'] }),
  },
  {
    name: '--skip-wait-for-delete-timeout: a pod terminating for longer than that is no longer waited for',
    script: { evict: [ok], getPod: [{ code: 200, body: { ...pod('u1'), metadata: { ...pod('u1').metadata, deletionTimestamp: '2020-01-01T00:00:00Z' } } }] },
    options: { skipWaitForDeleteTimeoutSeconds: 1 },
    outcome: { kind: 'skipped' },
    lines: ['evicting pod default/web-0', 'pod "web-0" has DeletionTimestamp older than 1 seconds, skipping'],
    requests: ['evict', 'getPod'],
  },
  {
    name: 'stopped while a budget refuses: reported with the budget',
    script: { evict: [budget429] },
    abortOnBudget: true,
    outcome: { kind: 'stopped', stage: 'evicting', budget: 'default/web-pdb' },
    lines: ['evicting pod default/web-0', 'budget default/web-pdb (1)'],
    requests: ['evict'],
  },
];

describe('removePod', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const served: Partial<Record<Route, number>> = {};
      const server = await FakeApiServer.start((req, res) => {
        const route = routeOf(req);
        const answers = route ? c.script[route] : undefined;
        if (!route || !answers) return sendStatus(res, 404, 'NotFound', `unscripted ${req.method} ${req.path}`);
        const i = served[route] ?? 0;
        served[route] = i + 1;
        const a = answers[Math.min(i, answers.length - 1)];
        if (a === 'reset') return resetConnection(res);
        if ('events' in a) {
          startWatch(res);
          for (const [type, obj] of a.events) writeEvent(res, type, obj);
          return;
        }
        if (a.body !== undefined) return sendJson(res, a.code, a.body);
        const body: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: a.message, code: a.code };
        if (a.reason) body.reason = a.reason;
        if (a.causes) body.details = { causes: a.causes };
        sendJson(res, a.code, body);
      });
      const client = await KubeClient.create({ kubeconfig: server.writeKubeconfig({ token: 't' }), retry: { baseDelayMs: 1, maxDelayMs: 2 }, environment: { env: {}, homeDir: os.tmpdir() } });
      const lines: string[] = [];
      const budgets: BudgetWait[] = [];
      const abort = new AbortController();
      try {
        const outcome = await removePod(
          {
            client,
            options: { gracePeriodSeconds: -1, dryRun: 'none', disableEviction: false, skipWaitForDeleteTimeoutSeconds: 0, ...c.options },
            signal: abort.signal,
            delays: { budgetBaseMs: 1, budgetMaxMs: 2, errorBaseMs: 1, errorMaxMs: 2 },
            callbacks: {
              onEvicting: (_p, line) => lines.push(line),
              onEvicted: (_p, line) => lines.push(line),
              onBudgetWait: (w) => {
                budgets.push(w);
                lines.push(`budget ${w.budget} (${w.attempts})`);
                if (c.abortOnBudget) abort.abort();
              },
              onRetry: () => lines.push('retry'),
              onLine: (line) => lines.push(line),
            },
          },
          pod('u1'),
        );
        assert.deepEqual(outcome, c.outcome);
        assert.deepEqual(lines, c.lines);
        assert.deepEqual(server.requests.map((r) => routeOf(r)), c.requests);
        if (c.budgets) assert.deepEqual(budgets.map((b) => ({ budget: b.budget, attempts: b.attempts, message: b.message })), c.budgets);
        c.check?.(server.requests);
      } finally {
        client.close();
        await server.close();
      }
    });
  }
});

describe('budget causes, backoff and durations', () => {
  const causes: [string, ReturnType<typeof parseBudgetCause>][] = [
    ['The disruption budget blue-pdb needs 3 healthy pods and has 3 currently', { name: 'blue-pdb', desiredHealthy: 3, currentHealthy: 3 }],
    ['The disruption budget blue-pdb is still being processed by the server.', { name: 'blue-pdb' }],
    ['The disruption budget blue-pdb does not allow evicting pods currently: pdb disruptions allowed is negative', { name: 'blue-pdb' }],
    ['something else', undefined],
  ];
  for (const [message, want] of causes) it(`parses "${message}"`, () => assert.deepEqual(parseBudgetCause(message), want));

  it('backs off from 1 s to at most 5 s on budget refusals (kubectl: a fixed 5 s)', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, 1000, 5000)), [1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('writes --timeout as Go does, as kubectl prints it', () => {
    assert.deepEqual([0, 30, 90, 3600, 3725].map((seconds) => formatGoDuration(seconds * 1000)), ['0s', '30s', '1m30s', '1h0m0s', '1h2m5s']);
  });
});
