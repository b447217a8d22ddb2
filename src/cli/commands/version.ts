import type { Command } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { UPKEEP_VERSION } from '../../util/version.js';
import { parseOutput, toJson, toYaml } from '../output/format.js';

export function registerVersion(program: Command, io: Io, globals: () => GlobalFlags): void {
  program
    .command('version')
    .description("print upkeep's version")
    .action(() => {
      const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
      const info = { upkeepVersion: UPKEEP_VERSION, nodeVersion: process.version };
      if (format === 'json') io.out(toJson(info));
      else if (format === 'yaml') io.out(toYaml(info));
      else io.out(`upkeep ${UPKEEP_VERSION}\n`);
    });
}
