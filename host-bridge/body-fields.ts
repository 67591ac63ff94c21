// A JSON body as a table of its members: for each, the JSON schema the API description shows and the
// reader that turns it into the command's argument (json-cbor.ts), so the two come from one place
// (sign-params.ts, admin-params.ts, approval-body.ts and device-params.ts build the bridge's request
// bodies with it; openapi.ts describes them from it). A test holds each table to its schemas: a value
// its schema accepts, the reader accepts too.
import { MAX_CALLDATA_BYTES } from '../protocol/limits.js';

export type Schema = Record<string, unknown>;

/** One member: required or not, its schema, and its reader (given the value and the member's field name). */
export interface BodyField<T, R extends boolean = boolean> {
  required: R;
  schema: Schema;
  read: (v: unknown, field: string) => T;
}

export type BodyTable = Readonly<Record<string, BodyField<unknown>>>;
type ValueOf<F> = F extends BodyField<infer V> ? V : never;
type RequiredKeys<T> = { [K in keyof T]: T[K] extends BodyField<unknown, true> ? K : never }[keyof T];
/** What readBody gives: each required member's value, and each optional one's when present. */
export type BodyValues<T extends BodyTable> = { [K in RequiredKeys<T>]: ValueOf<T[K]> } & { [K in Exclude<keyof T, RequiredKeys<T>>]?: ValueOf<T[K]> };

export const required = <T>(schema: Schema, read: (v: unknown, field: string) => T): BodyField<T, true> => ({ required: true, schema, read });
export const optional = <T>(schema: Schema, read: (v: unknown, field: string) => T): BodyField<T, false> => ({ required: false, schema, read });

/** The object schema of a table; `closed` when the reader refuses any other member. */
export function bodySchema(table: BodyTable, opts: { description?: string; closed?: boolean } = {}): Schema {
  const names = Object.keys(table);
  return {
    type: 'object',
    ...(opts.description ? { description: opts.description } : {}),
    required: names.filter((k) => table[k]!.required),
    properties: Object.fromEntries(names.map((k) => [k, table[k]!.schema])),
    ...(opts.closed ? { additionalProperties: false } : {}),
  };
}

/** Each member of the table read from `body` under `prefix`; a missing required member is its reader's refusal, a missing optional one is left out. */
export function readBody<T extends BodyTable>(table: T, body: Record<string, unknown>, prefix = ''): BodyValues<T> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(table)) {
    if (body[k] === undefined && !f.required) continue;
    out[k] = f.read(body[k], prefix + k);
  }
  return out as BodyValues<T>;
}

// The value forms of json-cbor.ts, as schemas.

/** jsonUint: a safe JSON integer, or a decimal (at most 78 digits) or 0x hex (at most 64 digits) string without leading zeros. */
export const uintSchema: Schema = {
  oneOf: [
    { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    { type: 'string', pattern: '^(0|[1-9][0-9]{0,77}|0x0|0x[1-9a-fA-F][0-9a-fA-F]{0,63})$' },
  ],
  description: 'unsigned integer: a JSON integer up to 2^53-1, or a decimal string (or 0x hex). No leading zeros: "0x00ff" or "007" is refused with 400 non_canonical',
};

/** jsonHex: 0x hex of whole bytes, at most `maxBytes` (or exactly `len`). */
export const hexSchema = (maxBytes = 64 * 1024, len?: number): Schema =>
  len === undefined
    ? { type: 'string', pattern: '^0x([0-9a-fA-F]{2})*$', maxLength: 2 + 2 * maxBytes, description: `0x hex of whole bytes, at most ${maxBytes}` }
    : { type: 'string', pattern: `^0x[0-9a-fA-F]{${2 * len}}$`, description: `0x hex of ${len} bytes` };

/** jsonAddress: 20 bytes; mixed case must be the EIP-55 checksum. */
export const addressSchema: Schema = {
  type: 'string',
  pattern: '^0x[0-9a-fA-F]{40}$',
  description: 'all lower case, all upper case, or mixed case that is the EIP-55 checksum; a wrong checksum is refused with 400 bad_checksum',
};

/** jsonString: 1 to `max` characters. */
export const stringSchema = (max: number): Schema => ({ type: 'string', minLength: 1, maxLength: max });

export const calldataSchema: Schema = {
  ...hexSchema(MAX_CALLDATA_BYTES),
  description: "calldata, at most 128 KiB (go-ethereum's transaction-pool limit for a whole transaction); more is 400 bad_request",
};
