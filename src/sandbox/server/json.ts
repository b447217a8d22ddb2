// The sandbox's JSON guards: the project's one home is src/util/json.ts.
export * from '../../util/json.js';
export { errorMessage } from '../../util/errors.js';
