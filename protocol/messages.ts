// Message types of the appliance's socket protocol. Every request and response is one canonical
// CBOR map in one length-prefixed frame (DESIGN.md "Wire protocol"). Requests carry an id so a
// connection can have several in flight; responses echo it.
import type { CborMap, CborValue } from './cbor.js';
import { ApplianceError, isErrorCode, type ErrorCode } from './errors.js';
import { asMap, str, uint } from './args.js';
import { COMMAND_NAMES, isCommandName, type CommandName } from './commands/index.js';

/** Every wire command, from the catalogue (protocol/commands/index.ts). */
export const COMMANDS = COMMAND_NAMES;

export type Command = CommandName;

export interface RequestEnvelope {
  id: number;
  cmd: Command;
  args: CborMap;
  /** The caller's trace id (e.g. the bridge's request id), recorded in audit entries. */
  traceId: string | null;
}

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: CborMap;
}

export type ResponseEnvelope = { id: number | null; ok: true; result: CborMap } | { id: number | null; ok: false; error: WireError };

export function parseRequestEnvelope(v: CborValue): RequestEnvelope {
  const m = asMap(v, 'request');
  for (const k of Object.keys(m)) if (k !== 'id' && k !== 'cmd' && k !== 'args' && k !== 'traceId') throw new ApplianceError('bad_request', `request has an unknown field "${k}"`);
  const id = uint(m, 'id', 2 ** 32 - 1);
  const cmd = str(m, 'cmd', 64);
  if (!isCommandName(cmd)) throw new ApplianceError('unknown_command', `unknown command "${cmd}"`);
  const traceId = m.traceId === undefined ? null : str(m, 'traceId', 128);
  return { id, cmd, args: asMap(m.args, 'args'), traceId };
}

export function okEnvelope(id: number, result: CborMap): CborMap {
  return { id, ok: true, result };
}

export function errorEnvelope(id: number | null, err: WireError): CborMap {
  const error: CborMap = { code: err.code, message: err.message };
  if (err.details) error.details = err.details;
  return { id, ok: false, error };
}

export function parseResponseEnvelope(v: CborValue): ResponseEnvelope {
  const m = asMap(v, 'response');
  const id = m.id === null ? null : uint(m, 'id', 2 ** 32 - 1);
  if (m.ok === true) return { id, ok: true, result: asMap(m.result, 'result') };
  const e = asMap(m.error, 'error');
  const code = e.code;
  if (!isErrorCode(code)) throw new ApplianceError('bad_request', 'response has an unknown error code');
  const err: WireError = { code, message: str(e, 'message', 4096) };
  if (e.details !== undefined) err.details = asMap(e.details, 'details');
  return { id, ok: false, error: err };
}
