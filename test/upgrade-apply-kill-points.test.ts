// The 20 kill -9 points: points 4-20 of the seeded sequence (1-3 run in
// upgrade-apply-resume.test.ts), each a fresh sandbox, `upkeep upgrade apply` killed with SIGKILL,
// then `upkeep upgrade resume`: every node at the target, nothing cordoned, blue never below its
// budget. A file of its own (about 4 minutes here), so that CI runs it beside the other files.
import { describe } from 'node:test';
import { KILL_POINTS_TOTAL, killPointTests } from './helpers/kill-points.js';

describe('upkeep upgrade resume after kill -9, points 4 to 20', () => {
  // UPKEEP_KILL_POINTS=N runs points 1..N in the resume file: only the rest run here.
  killPointTests(Math.max(4, Number(process.env.UPKEEP_KILL_POINTS ?? 3) + 1), KILL_POINTS_TOTAL);
});
