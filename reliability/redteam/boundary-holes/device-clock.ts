// Red-team scenarios for issue 11, item(s) 5.
import type { Scenario } from '../scenario.js';

export const deviceClockScenarios: Scenario[] = [];
