// Red-team scenarios for issue 11, item(s) 14.
import type { Scenario } from '../scenario.js';

export const measurementScenarios: Scenario[] = [];
