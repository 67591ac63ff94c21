// The zero-trust host scenarios (issue 12): the bridge process itself is hostile; ids `Z<item>` or
// `Z<item><letter>`, one file per item.
import type { Scenario } from '../scenario.js';
import { hostileBridgeScenarios } from './hostile-bridge.js';
import { travelRuleScenarios } from './travel-rule.js';

export const zeroTrustScenarios: Scenario[] = [...hostileBridgeScenarios, ...travelRuleScenarios];
