import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listWatchOptions, watchListEnabled } from './listwatch.js';

describe('list and watch options', () => {
  it('has the WatchList feature (sendInitialEvents) where kube-apiserver turns it on', () => {
    const cases: Array<[string, boolean]> = [
      ['v1.30.9', false],
      ['v1.31.4', false],
      ['v1.32.1', true],
      ['v1.33.0', false],
      ['v1.34.0', true],
    ];
    for (const [version, want] of cases) assert.equal(watchListEnabled(version), want, version);
  });

  it('refuses what ValidateListOptions refuses, with its words', () => {
    const cases: Array<[query: string, watch: boolean, version: string, message: string | undefined]> = [
      ['resourceVersion=5&resourceVersionMatch=Exact', false, 'v1.31.4', undefined],
      ['resourceVersion=5&resourceVersionMatch=NotOlderThan', false, 'v1.31.4', undefined],
      ['resourceVersionMatch=Exact', false, 'v1.31.4', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['resourceVersion=0&resourceVersionMatch=Exact', false, 'v1.31.4', 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ['resourceVersion=5&resourceVersionMatch=Newest', false, 'v1.31.4', 'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'],
      ['sendInitialEvents=true', false, 'v1.32.0', 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
      ['sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true', true, 'v1.32.0', undefined],
      ['sendInitialEvents=true&resourceVersionMatch=NotOlderThan', true, 'v1.31.4', 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'],
      ['sendInitialEvents=true', true, 'v1.32.0', 'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
      ['resourceVersionMatch=NotOlderThan', true, 'v1.32.0', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
    ];
    for (const [query, watch, version, message] of cases) {
      const run = () => listWatchOptions(new URLSearchParams(query), watch, version);
      if (message === undefined) assert.doesNotThrow(run, query);
      else assert.throws(run, (e: Error & { code?: number }) => e.code === 422 && e.message === `ListOptions.meta.k8s.io "" is invalid: ${message}`, query);
    }
  });
});
