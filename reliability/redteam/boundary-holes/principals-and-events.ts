// Red-team scenarios for issue 11, item(s) 8,12.
import type { Scenario } from '../scenario.js';

export const principalsAndEventsScenarios: Scenario[] = [];
