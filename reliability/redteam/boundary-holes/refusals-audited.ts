// Red-team scenarios for issue 11, item(s) 10.
import type { Scenario } from '../scenario.js';

export const refusalsAuditedScenarios: Scenario[] = [];
