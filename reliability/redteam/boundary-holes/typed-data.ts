// Red-team scenarios for issue 11, item(s) 2.
import type { Scenario } from '../scenario.js';

export const typedDataScenarios: Scenario[] = [];
