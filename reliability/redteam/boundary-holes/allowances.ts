// Red-team scenarios for issue 11, item(s) 3,4.
import type { Scenario } from '../scenario.js';

export const allowancesScenarios: Scenario[] = [];
