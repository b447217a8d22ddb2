import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { desiredReplicas } from './hpa.js';

describe('an HPA without metrics keeps its target at minReplicas', () => {
  const cases = [
    { story: 'above min: down to min', current: 5, min: 2, max: 10, want: 2 },
    { story: 'below min: up to min', current: 1, min: 3, max: 10, want: 3 },
    { story: 'min above max is capped by max', current: 4, min: 6, max: 5, want: 5 },
    { story: 'no minReplicas (0 given) means 1', current: 3, min: 0, max: 4, want: 1 },
    { story: 'a target scaled to 0 is left alone', current: 0, min: 2, max: 5, want: 0 },
  ];
  for (const c of cases) it(c.story, () => assert.equal(desiredReplicas(c.current, c.min, c.max), c.want));
});
