// The command catalogue: every wire command of the appliance, one module each. The appliance's
// dispatcher, the bridge, the CLI and the OpenAPI description take names, argument and result types,
// error codes and the state-changing flag from here (docs/architecture.md "Adding a command").
import type { CborMap } from '../cbor.js';
import type { CommandSpec } from './command.js';
import { health } from './health.js';
import { keyGenerate } from './key-generate.js';
import { keyList } from './key-list.js';
import { keyGet } from './key-get.js';
import { signEvmTx } from './sign-evm-tx.js';
import { signTypedData } from './sign-typed-data.js';
import { requestGet } from './request-get.js';
import { requestApprove } from './request-approve.js';
import { requestList } from './request-list.js';
import { whitelistPropose } from './whitelist-propose.js';
import { whitelistApprove } from './whitelist-approve.js';
import { whitelistList } from './whitelist-list.js';
import { whitelistRemove } from './whitelist-remove.js';
import { whitelistCancel } from './whitelist-cancel.js';
import { whitelistProposal } from './whitelist-proposal.js';
import { whitelistProposals } from './whitelist-proposals.js';
import { policyGet } from './policy-get.js';
import { policyInit } from './policy-init.js';
import { auditList } from './audit-list.js';
import { deviceInfo } from './device-info.js';
import { deviceAttest } from './device-attest.js';
import { firmwareApprove } from './firmware-approve.js';
import { policyPropose } from './policy-propose.js';
import { policyApprove } from './policy-approve.js';
import { policyCancel } from './policy-cancel.js';
import { policyActivate } from './policy-activate.js';
import { policyProposal } from './policy-proposal.js';
import { policyProposals } from './policy-proposals.js';
import { policyDiff } from './policy-diff.js';
import { deviceTime } from './device-time.js';
import { deviceTimeAttest } from './device-time-attest.js';
import { metrics } from './metrics.js';
import { hdCreate } from './hd-create.js';
import { hdDerive } from './hd-derive.js';
import { hdXpub } from './hd-xpub.js';

export const CATALOGUE_LIST = [
  health,
  keyGenerate,
  keyList,
  keyGet,
  signEvmTx,
  signTypedData,
  requestGet,
  requestApprove,
  requestList,
  whitelistPropose,
  whitelistApprove,
  whitelistList,
  whitelistRemove,
  whitelistCancel,
  whitelistProposal,
  whitelistProposals,
  policyGet,
  policyInit,
  auditList,
  deviceInfo,
  deviceAttest,
  firmwareApprove,
  policyPropose,
  policyApprove,
  policyCancel,
  policyActivate,
  policyProposal,
  policyProposals,
  policyDiff,
  deviceTime,
  deviceTimeAttest,
  metrics,
  hdCreate,
  hdDerive,
  hdXpub,
] as const;

type AnySpec = (typeof CATALOGUE_LIST)[number];
export type CommandName = AnySpec['name'];
export type SpecOf<C extends CommandName> = Extract<AnySpec, { name: C }>;
/** What a caller sends (the bridge, the CLI). */
export type ParamsOf<C extends CommandName> = SpecOf<C> extends CommandSpec<C, infer P, CborMap, unknown> ? P : never;
/** What the handler gets from the parser. */
export type ArgsOf<C extends CommandName> = ReturnType<SpecOf<C>['parseArgs']>;
export type ResultOf<C extends CommandName> = SpecOf<C> extends CommandSpec<C, unknown, infer R, unknown> ? R : never;

export const CATALOGUE = Object.fromEntries(CATALOGUE_LIST.map((s) => [s.name, s])) as { readonly [C in CommandName]: SpecOf<C> };

export const COMMAND_NAMES: readonly CommandName[] = CATALOGUE_LIST.map((s) => s.name);

export function isCommandName(s: string): s is CommandName {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, s);
}
