// Red-team scenarios for issue 11, item(s) 6,9,11.
import type { Scenario } from '../scenario.js';

export const approvalLifetimeScenarios: Scenario[] = [];
