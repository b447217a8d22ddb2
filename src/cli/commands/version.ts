import type { Command } from '@commander-js/extra-typings';
import { createRequire } from 'node:module';
import type { GlobalFlags, Io } from '../context.js';
import { parseOutput, toJson, toYaml } from '../output/format.js';

export function registerVersion(program: Command, io: Io, globals: () => GlobalFlags): void {
  program
    .command('version')
    .description("print upkeep's version")
    .action(() => {
      const pkg = createRequire(import.meta.url)('../../../../package.json') as { version: string };
      const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
      const info = { upkeepVersion: pkg.version, nodeVersion: process.version };
      if (format === 'json') io.out(toJson(info));
      else if (format === 'yaml') io.out(toYaml(info));
      else io.out(`upkeep ${pkg.version}\n`);
    });
}
