// `npm run bench [name...]`: runs the benchmarks and prints their figures as Markdown tables.
import { benchApiServer } from './apiserver.js';
import { benchControllers } from './controllers.js';
import { benchDrain } from './drain.js';
import { benchEtcd } from './etcd.js';
import { benchBackup } from './backup.js';
import { benchUpgrade } from './upgrade.js';
import { benchStartup } from './startup.js';
import { benchScale } from './scale.js';

const BENCHES: Record<string, () => Promise<Record<string, string | number>>> = {
  apiserver: () => benchApiServer(Number(process.env.BENCH_NODES ?? 5000), Number(process.env.BENCH_PODS ?? 10000)),
  drain: () => benchDrain(Number(process.env.BENCH_ROUNDS ?? 3)),
  controllers: () => benchControllers(Number(process.env.BENCH_NODES ?? 5000), Number(process.env.BENCH_PODS ?? 10000)),
  etcd: () => benchEtcd(),
  backup: () => benchBackup(Number(process.env.BENCH_OBJECTS ?? 100_000)),
  upgrade: () => benchUpgrade(Number(process.env.BENCH_WORKERS ?? 100)),
  scale: () => benchScale(Number(process.env.BENCH_NODES ?? 5000), Number(process.env.BENCH_PODS ?? 10000), Number(process.env.BENCH_TIME_SCALE ?? 1)),
  startup: () => benchStartup(Number(process.env.BENCH_RUNS ?? 21)),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const run = BENCHES[name];
  if (!run) {
    console.error(`unknown benchmark ${name} (have: ${Object.keys(BENCHES).join(', ')})`);
    process.exit(2);
  }
  const figures = await run();
  console.log(`\n### ${name}\n\n| measure | value |\n|---|---|`);
  for (const [k, v] of Object.entries(figures)) console.log(`| ${k} | ${v} |`);
}
