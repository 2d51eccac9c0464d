/** k6/execution: which VU, iteration and scenario the code runs in. */
import { currentIteration } from '../run-state.ts';

export const vu = {
  get idInTest(): number {
    return currentIteration()?.vu ?? 0;
  },
  get iterationInScenario(): number {
    return currentIteration()?.iter ?? 0;
  },
};

export const scenario = {
  get name(): string {
    return currentIteration()?.scenario ?? '';
  },
  get iterationInTest(): number {
    return currentIteration()?.iterationInTest ?? 0;
  },
};

export default { vu, scenario };
