import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AllocationError, Bitmap, NodePortAllocator, ServiceIPAllocator, rangeOffset } from './allocator.js';

/** A "random" source that always starts the scan at the band's beginning. */
const first = () => 0;

function problem(f: () => void): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof AllocationError);
    return `${e.problem}: ${e.message}`;
  }
}

describe('service CIDR and NodePort range offsets (KEP-3668)', () => {
  const cases: Array<{ story: string; size: number; min: number; max: number; step: number; want: number }> = [
    { story: "a /12's static band is capped at 256 addresses", size: 2 ** 20 - 2, min: 16, max: 256, step: 16, want: 256 },
    { story: 'a /24 keeps the minimum of 16', size: 254, min: 16, max: 256, step: 16, want: 16 },
    { story: 'a /28 is too small to split', size: 14, min: 16, max: 256, step: 16, want: 0 },
    { story: '30000-32767 keeps 2768/32 = 86 ports static', size: 2768, min: 16, max: 128, step: 32, want: 86 },
  ];
  for (const c of cases) it(c.story, () => assert.equal(rangeOffset(c.size, c.min, c.max, c.step), c.want));
});

describe('ClusterIP allocation from 10.96.0.0/12', () => {
  const cases: Array<{ story: string; taken: string[]; ask: string; want: string }> = [
    { story: 'a free address in range is taken', taken: [], ask: '10.96.0.5', want: 'ok' },
    { story: "the range's last usable address is taken", taken: [], ask: '10.111.255.254', want: 'ok' },
    { story: 'an address held already is refused', taken: ['10.96.0.5'], ask: '10.96.0.5', want: 'allocated: provided IP is already allocated' },
    { story: 'an address outside the range is refused', taken: [], ask: '10.112.0.1', want: 'not-in-range: the provided IP (10.112.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
    { story: "the network's own address is not a Service's", taken: [], ask: '10.96.0.0', want: 'not-in-range: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
    { story: 'the broadcast address is not a Service\'s', taken: [], ask: '10.111.255.255', want: 'not-in-range: the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const a = new ServiceIPAllocator();
      for (const ip of c.taken) a.allocate(ip);
      assert.equal(problem(() => a.allocate(c.ask)), c.want);
    });
  }

  it('picks from above the static band (10.96.1.1 on), so kubeadm\'s 10.96.0.1 and 10.96.0.10 stay free', () => {
    const a = new ServiceIPAllocator(undefined, first);
    assert.equal(a.allocateNext(), '10.96.1.1');
    assert.equal(a.allocateNext(), '10.96.1.2');
    assert.equal(a.count(), 2);
  });

  it('a released address can be taken again', () => {
    const a = new ServiceIPAllocator();
    a.allocate('10.96.0.10');
    a.release('10.96.0.10');
    assert.equal(problem(() => a.allocate('10.96.0.10')), 'ok');
  });

  it('a full range says so', () => {
    const a = new ServiceIPAllocator('10.0.0.0/30', first);
    assert.equal(a.allocateNext(), '10.0.0.1');
    assert.equal(a.allocateNext(), '10.0.0.2');
    assert.equal(problem(() => a.allocateNext()), 'full: range is full');
  });
});

describe('NodePort allocation from 30000-32767', () => {
  const cases: Array<{ story: string; taken: number[]; ask: number; want: string }> = [
    { story: 'a free port is taken', taken: [], ask: 30080, want: 'ok' },
    { story: 'a port held already is refused', taken: [30080], ask: 30080, want: 'allocated: provided port is already allocated' },
    { story: 'a port below the range is refused', taken: [], ask: 80, want: 'not-in-range: provided port is not in the valid range. The range of valid ports is 30000-32767' },
    { story: 'a port above the range is refused', taken: [], ask: 32768, want: 'not-in-range: provided port is not in the valid range. The range of valid ports is 30000-32767' },
    { story: 'both ends of the range are valid', taken: [30000], ask: 32767, want: 'ok' },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const a = new NodePortAllocator();
      for (const p of c.taken) a.allocate(p);
      assert.equal(problem(() => a.allocate(c.ask)), c.want);
    });
  }

  it('picks from the dynamic band first (30086 on), then the static band when that is full', () => {
    const a = new NodePortAllocator('30000-30099', first);
    // 100 ports: offset min(max(16, 100/32), 128) = 16.
    assert.equal(a.allocateNext(), 30016);
    for (let p = 30017; p <= 30099; p++) a.allocate(p);
    assert.equal(a.allocateNext(), 30000);
    assert.equal(new NodePortAllocator(undefined, first).allocateNext(), 30086);
  });
});

describe('the bitmap', () => {
  it('scans from a random start, wrapping, and skips full words', () => {
    const b = new Bitmap(100, 0, () => 0.5);
    for (let i = 0; i < 100; i++) if (i !== 7) b.allocate(i);
    assert.equal(b.allocateNext(), 7);
    assert.equal(b.allocateNext(), undefined);
    assert.equal(b.count(), 100);
  });
});
