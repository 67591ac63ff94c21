// The shape of one wire command in the catalogue (protocol/commands/<command>.ts): its name, what it
// does, whether it uses a key or changes sealed state, the error codes it can answer, and the parser
// that turns its canonical CBOR arguments into typed ones. The argument and result types travel with
// the spec, so the appliance's handler, the bridge route, the CLI and the OpenAPI description all
// take them from one place (docs/architecture.md "Adding a command").
import type { CborMap, CborValue } from '../cbor.js';
import type { ErrorCode } from '../errors.js';

/** Codes any command may answer: the frame, the envelope and the device itself. */
export const COMMON_ERRORS = ['bad_request', 'non_canonical', 'frame_too_large', 'unknown_command', 'response_too_large', 'unavailable', 'internal'] as const satisfies readonly ErrorCode[];

/**
 * Results are type aliases of CBOR values (so every result is a CborMap and encodes as it is).
 * `Params` is what a caller sends (optional fields may be left out), `Args` what the parser gives the
 * handler (defaults filled in), `Result` what the handler answers.
 */
export interface CommandSpec<Name extends string, Params, Result extends CborMap, Args = Params> {
  readonly name: Name;
  /** One line for the reference and the OpenAPI description. */
  readonly summary: string;
  /**
   * Uses a key or changes sealed state: refused while the sealed state is broken or the clock is set
   * back (docs/sealed-state.md). Reads stay available so an auditor can investigate.
   */
  readonly changesState: boolean;
  /** The codes this command can answer beyond COMMON_ERRORS. */
  readonly errors: readonly ErrorCode[];
  /** Checks the wire arguments: every field typed and bounded, an unknown field refused. */
  readonly parseArgs: (m: CborMap) => Args;
  /** Carry the caller's parameter and the result types; never set at run time. */
  readonly paramsType?: Params;
  readonly resultType?: Result;
}

/** Declares a command with its types: `defineCommand<Params, Result, Args>()({ … })` (Args defaults to Params). */
export function defineCommand<Params, Result extends CborMap, Args = Params>() {
  return <const Name extends string>(spec: Omit<CommandSpec<Name, Params, Result, Args>, 'paramsType' | 'resultType'>): CommandSpec<Name, Params, Result, Args> => spec;
}

/** The wire form of typed arguments: absent (undefined) fields are left out, everything else as is. */
export function toWireArgs(args: object): CborMap {
  const out: CborMap = {};
  for (const [k, v] of Object.entries(args)) if (v !== undefined) out[k] = v as CborValue;
  return out;
}
