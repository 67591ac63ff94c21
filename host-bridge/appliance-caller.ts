// What the bridge needs of the appliance: `command` with the catalogue's types (protocol/commands/),
// and `call` with a raw CBOR map for what the catalogue would not type. ApplianceClient has both; a
// caller with only `call` (a test double) gets `command` through commandOf, on the same wire form.
import type { CborMap } from '../protocol/cbor.js';
import { toWireArgs } from '../protocol/commands/command.js';
import type { CommandName, ParamsOf, ResultOf } from '../protocol/commands/index.js';
import type { Command } from '../protocol/messages.js';

export interface ApplianceCaller {
  call(cmd: Command, args?: CborMap, traceId?: string): Promise<CborMap>;
  command?<C extends CommandName>(cmd: C, params: ParamsOf<C>, traceId?: string): Promise<ResultOf<C>>;
}

export type TypedCommand = <C extends CommandName>(cmd: C, params: ParamsOf<C>, traceId?: string) => Promise<ResultOf<C>>;

/** The caller's typed `command`, or one made from its `call` (absent fields left out, as ApplianceClient does). */
export function commandOf(appliance: ApplianceCaller): TypedCommand {
  if (appliance.command) return appliance.command.bind(appliance) as TypedCommand;
  return <C extends CommandName>(cmd: C, params: ParamsOf<C>, traceId?: string) => appliance.call(cmd, toWireArgs(params as object), traceId) as Promise<ResultOf<C>>;
}
