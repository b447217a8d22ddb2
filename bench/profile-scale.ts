// In-process profile run (issue 17): a sandbox with N worker nodes, one Deployment of M replicas,
// timed until M pods are Running in the controllers' cache; prints elapsed and RSS. Run with
// `node --cpu-prof dist/bench/profile-scale.js N M [timeScale]`.
import { startSandbox, bulkScenario, parseScenario } from '../src/sandbox/index.js';
import { PODS } from '../src/sandbox/controllers/kinds.js';

const nodes = Number(process.argv[2] ?? 5000);
const pods = Number(process.argv[3] ?? 10000);
const timeScale = Number(process.argv[4] ?? 1);

async function main(): Promise<void> {
  const t0 = performance.now();
  const sb = await startSandbox({ scenario: parseScenario(bulkScenario(nodes, 0)), timeScale });
  const tStart = performance.now();
  console.log(`started ${nodes} nodes in ${((tStart - t0) / 1000).toFixed(1)}s rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  await sb.registry.create(sb.registry.type('apps', 'v1', 'deployments')!, 'default', {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'big', namespace: 'default' },
    spec: { replicas: pods, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } } },
  });
  const t1 = performance.now();
  let peak = 0;
  for (;;) {
    const { items } = await sb.registry.store.list(PODS, 'default');
    const running = items.filter((p) => (p as { status?: { phase?: string } }).status?.phase === 'Running').length;
    peak = Math.max(peak, process.memoryUsage().rss);
    const el = (performance.now() - t1) / 1000;
    if (running >= pods || el > Number(process.env.LIMIT ?? 300)) {
      console.log(`running ${running}/${pods} (${items.length} pods) after ${el.toFixed(1)}s peak rss ${(peak / 2 ** 20).toFixed(0)} MiB`);
      break;
    }
    if (Math.floor(el) % 5 === 0) process.stdout.write(`  ${el.toFixed(0)}s ${items.length} pods ${running} running\n`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await sb.stop();
  process.exit(0);
}
void main();
