// The appliance's handler for every command of the catalogue (protocol/commands/index.ts), one file
// each. The compiler holds the two lists together: a command without a handler, or a handler whose
// argument or result type is not its command's, does not build.
import type { ArgsOf, CommandName, ResultOf } from '../../protocol/commands/index.js';
import type { Device } from '../device.js';
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
import { whitelistProposal } from './whitelist-proposal.js';
import { whitelistProposals } from './whitelist-proposals.js';
import { whitelistRemove } from './whitelist-remove.js';
import { whitelistCancel } from './whitelist-cancel.js';
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

export type Handler<C extends CommandName> = (dev: Device, args: ArgsOf<C>) => Promise<ResultOf<C>>;

export const HANDLERS: { readonly [C in CommandName]: Handler<C> } = {
  health,
  'key.generate': keyGenerate,
  'key.list': keyList,
  'key.get': keyGet,
  'sign.evm-tx': signEvmTx,
  'sign.typed-data': signTypedData,
  'request.get': requestGet,
  'request.list': requestList,
  'request.approve': requestApprove,
  'whitelist.propose': whitelistPropose,
  'whitelist.approve': whitelistApprove,
  'whitelist.list': whitelistList,
  'whitelist.proposal': whitelistProposal,
  'whitelist.proposals': whitelistProposals,
  'whitelist.remove': whitelistRemove,
  'whitelist.cancel': whitelistCancel,
  'policy.get': policyGet,
  'policy.init': policyInit,
  'audit.list': auditList,
  'device.info': deviceInfo,
  'device.attest': deviceAttest,
  'firmware.approve': firmwareApprove,
  'policy.propose': policyPropose,
  'policy.approve': policyApprove,
  'policy.cancel': policyCancel,
  'policy.activate': policyActivate,
  'policy.proposal': policyProposal,
  'policy.proposals': policyProposals,
  'policy.diff': policyDiff,
  'device.time': deviceTime,
  'device.time.attest': deviceTimeAttest,
  metrics,
  'hd.create': hdCreate,
  'hd.derive': hdDerive,
  'hd.xpub': hdXpub,
};
