// The trust-boundary holes an independent red team found (issue 11): one file per item or group of
// items, each scenario through the real parts, ids `H<item>`.
import type { Scenario } from '../scenario.js';
import { typedDataScenarios } from './typed-data.js';
import { allowancesScenarios } from './allowances.js';
import { deviceClockScenarios } from './device-clock.js';
import { approvalLifetimeScenarios } from './approval-lifetime.js';
import { sizesAndFormsScenarios } from './sizes-and-forms.js';
import { principalsAndEventsScenarios } from './principals-and-events.js';
import { refusalsAuditedScenarios } from './refusals-audited.js';
import { measurementScenarios } from './measurement.js';

export const boundaryHoleScenarios: Scenario[] = [
  ...typedDataScenarios,
  ...allowancesScenarios,
  ...deviceClockScenarios,
  ...approvalLifetimeScenarios,
  ...sizesAndFormsScenarios,
  ...principalsAndEventsScenarios,
  ...refusalsAuditedScenarios,
  ...measurementScenarios,
];
