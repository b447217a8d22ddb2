// The command a drain's result offers to continue with: the nodes left, the same flags, as an
// argument array (the CLI quotes it for the shell: src/cli/output/drain.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drainCommand, type DrainRunOptions } from './drain.js';
import { DEFAULT_DRAIN_OPTIONS } from './types.js';

const base: DrainRunOptions = { ...DEFAULT_DRAIN_OPTIONS, waitReady: false, surge: false, maxUnavailable: 1, concurrency: 16 };

describe('drainCommand', () => {
  const cases: { story: string; nodes: string[]; options: Partial<DrainRunOptions>; want: string[] }[] = [
    { story: 'defaults add no flags', nodes: ['node01'], options: {}, want: ['upkeep', 'drain', 'node01'] },
    {
      story: 'kubectl flags, in kubectl spelling',
      nodes: ['node01', 'node02'],
      options: { force: true, ignoreDaemonSets: true, deleteEmptyDirData: true, gracePeriodSeconds: 0, timeoutSeconds: 90, disableEviction: true, skipWaitForDeleteTimeoutSeconds: 60, chunkSize: 100 },
      want: [
        'upkeep',
        'drain',
        'node01',
        'node02',
        '--force',
        '--ignore-daemonsets',
        '--delete-emptydir-data',
        '--grace-period=0',
        '--timeout=90s',
        '--disable-eviction',
        '--skip-wait-for-delete-timeout=60',
        '--chunk-size=100',
      ],
    },
    {
      story: "upkeep's own flags",
      nodes: ['node01'],
      options: { waitReady: true, surge: true, maxUnavailable: 2, concurrency: 4 },
      want: ['upkeep', 'drain', 'node01', '--wait-ready', '--surge', '--max-unavailable=2', '--concurrency=4'],
    },
    {
      story: 'a pod selector with spaces is one argument',
      nodes: ['node01'],
      options: { podSelector: "app in (a,b),tier!=it's" },
      want: ['upkeep', 'drain', 'node01', "--pod-selector=app in (a,b),tier!=it's"],
    },
    {
      story: 'a custom command prefix (a context, the kubectl plugin)',
      nodes: ['node01'],
      options: { command: ['kubectl', 'upkeep', '--context', 'prod', 'drain'] },
      want: ['kubectl', 'upkeep', '--context', 'prod', 'drain', 'node01'],
    },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(drainCommand(c.nodes, { ...base, ...c.options }), c.want));
});
