// The sandbox's entry point for the CLI and tests: a running cluster from a scenario.
import { Sandbox, type SandboxOptions } from './sandbox.js';
import { startControllers } from './controllers/manager.js';

export { Sandbox, type SandboxOptions, type SandboxEtcdOptions } from './sandbox.js';
export { BUILTIN_SCENARIOS, bulkScenario } from './scenario/builtin.js';
export { ScenarioError, parseScenario } from './scenario/scenario.js';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return Sandbox.start(options, (sb) => startControllers(sb));
}
