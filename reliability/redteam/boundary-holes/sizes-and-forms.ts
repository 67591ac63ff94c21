// Red-team scenarios for issue 11, item(s) 7,13.
import type { Scenario } from '../scenario.js';

export const sizesAndFormsScenarios: Scenario[] = [];
