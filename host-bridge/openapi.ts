// The bridge's API description (OpenAPI 3.1), served at GET /openapi.json. Keep it true: a test
// checks that every route the app serves is described here and the other way round. The typed
// error responses of a route come from the command catalogue (protocol/commands/): the codes of the
// command it forwards (COMMON_ERRORS and the command's own) and the bridge's own, each at its HTTP
// status from http-status.ts (ROUTE_ERRORS below). The closed vocabularies (error codes, reason
// codes) are the source's own lists, never copies.
import { COMMON_ERRORS } from '../protocol/commands/command.js';
import { CATALOGUE, type CommandName } from '../protocol/commands/index.js';
import { ERROR_CODES, type ErrorCode } from '../protocol/errors.js';
import { ERROR_STATUS } from './http-status.js';
import { RESULT_SCHEMAS, resultRef } from './openapi-results.js';
import { bodySchema, hexSchema } from './body-fields.js';
import { TX_FIELDS } from './json-cbor.js';
import { SIGN_BODY_SCHEMAS, SIGN_EVM_TX_BODY, SIGN_TYPED_DATA_BODY } from './sign-params.js';
import { ADMIN_STAMP_BODY, HD_CREATE_BODY, HD_DERIVE_BODY, KEY_GENERATE_BODY, POLICY_PROPOSE_BODY, WHITELIST_PROPOSE_BODY } from './admin-params.js';
import { ADMIN_APPROVAL_BODY, APPROVER_APPROVAL_BODY } from './approval-body.js';
import { DEVICE_TIME_BODY, FIRMWARE_APPROVAL_BODY } from './device-params.js';

// Placeholders an operation lists at a status where it answers a typed error: describeErrors replaces
// each with the problem response naming the codes the route answers at that status.
const err = { description: 'typed error' };
const tooLarge = { description: 'body too large' };
/** An error response with words of its own; describeErrors adds the codes and the problem schema. */
const errWith = (description: string) => ({ description });
/** What Node's HTTP server answers before the app sees the request: headers over its 16 KiB limit (no body). */
const headersTooLarge = { 431: { description: "request headers over Node's 16 KiB limit: the HTTP server answers before the bridge, with no body" } };
const bearer = [{ bearer: [] }];
const json = (schema: object) => ({ 'application/json': { schema } });
const ok = (description: string, schema: object) => ({ description, content: json(schema) });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const queryInt = (name: string, description: string) => ({ name, in: 'query', required: false, schema: { type: 'integer', minimum: 0 }, description });

// The value forms json-cbor.ts reads (body-fields.ts).
const hex = hexSchema();
/** The Idempotency-Key header: a bare key or the same key as a structured-field string (draft-ietf-httpapi-idempotency-key-header). */
const idempotencyKeySchema = {
  type: 'string',
  pattern: '^("[A-Za-z0-9._:-]{1,128}"|[A-Za-z0-9._:-]{1,128})$',
  description: '1-128 characters [A-Za-z0-9._:-], bare or quoted as a structured-field string ("abc" is the key abc); else 400 bad_request',
};
/** What a signing route answers when its key was used before (the draft's 409 and 422). */
const keyReused = errWith(
  'the Idempotency-Key was used for a different request (problem type /problems/conflict/idempotency_key_reused, code conflict, details.code idempotency_key_reused; draft-ietf-httpapi-idempotency-key-header)',
);

const baseDocument = {
  openapi: '3.1.0',
  info: {
    title: 'HSM signer appliance: host bridge',
    version: '0.1.0',
    description: 'HTTP front of the signer appliance. The bridge authenticates bearer tokens, converts JSON to canonical CBOR commands and forwards them; every decision is made inside the appliance.',
    license: { name: 'Proprietary (package.json: UNLICENSED); no licence is granted', identifier: 'LicenseRef-Proprietary' },
  },
  servers: [{ url: '/', description: 'the bridge that serves this document (host-bridge/main.ts --host/--port)' }],
  components: {
    securitySchemes: {
      consoleSession: {
        type: 'apiKey',
        in: 'cookie',
        name: 'hsm_console',
        description:
          'The approver console session (docs/console.md), set by POST /console/session after a passkey sign-in: HttpOnly, SameSite=Strict, Path=/, Secure on https. It stands for one approver of the active policy with the approver scope, and is accepted only by GET /v1/requests, GET /v1/requests/{id}, POST /v1/requests/{id}/approvals and GET /v1/events, and only when no Authorization header is sent; a POST must carry an Origin header equal to the console origin (else 403 forbidden, details.code origin_mismatch). An unknown or expired session is 401 (details.code session_expired).',
      },
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          "Token with scopes orchestrator, approver, admin and/or auditor, bound to one principal id of the active policy (a requester, admin, approver or auditor). The bridge names that id, never the token's name, as the requester of what it forwards. A token bound to no principal is refused with 401 (details.code 'token_unbound'); a token whose principal the active policy does not know, with 403 forbidden (details { code: 'unknown_principal', principal }), before anything reaches the appliance. Each scope needs its policy role: orchestrator a requester, approver an approver, admin an admin, auditor an auditor; a token lacking the route's scope gets 403 forbidden (details { code: 'scope_missing', scopes }), one whose principal lacks the role of the scope it uses 403 forbidden (details { code: 'role_not_held', principal, scopes, roles }), also before the appliance. Whether the principal may ask for what it asks is the appliance's decision: a signing request from an id that is not a policy requester is denied (reasons [{ rule: 'requester', code: 'unknown_principal' | 'requester_not_allowed' }]); a whitelist or policy proposal, a whitelist removal, a key generation or a policy activation, from an id that is not an admin is refused with 403 denied (details { rule: 'requester', code, requester, role, auditSeq }). Both are audited.",
      },
    },
    schemas: {
      RpcRequest: {
        type: 'object',
        required: ['jsonrpc', 'method'],
        additionalProperties: false,
        properties: {
          jsonrpc: { const: '2.0' },
          id: { type: ['string', 'number', 'null'], description: 'absent: a notification, which is not run' },
          method: { type: 'string', maxLength: 128, examples: ['eth_accounts', 'eth_signTransaction', 'eth_sendTransaction', 'eth_signTypedData_v4', 'eth_chainId'] },
          params: {
            type: ['array', 'object'],
            description:
              'eth_signTransaction and eth_sendTransaction: [transaction object { from, to, gas, gasPrice | maxFeePerGas + maxPriorityFeePerGas, value, nonce, data | input, chainId, type 0x0-0x2, accessList }, quantities as 0x hex]; eth_signTypedData_v4: [address, typed data as JSON text or object]; eth_accounts: []',
          },
        },
      },
      RpcResponse: {
        type: 'object',
        required: ['jsonrpc', 'id'],
        properties: {
          jsonrpc: { const: '2.0' },
          id: { type: ['string', 'number', 'null'] },
          result: {
            description:
              'eth_accounts: addresses; eth_signTransaction: the raw signed transaction (0x hex); eth_sendTransaction: the transaction hash; eth_signTypedData_v4: the 65-byte signature r||s||v',
          },
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: {
                type: 'integer',
                description:
                  "-32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid params, -32603 internal, -32000 appliance fault, -32002 appliance or node unavailable (or no node configured), -32003 denied (data.reasons), -32004 refused by design, -32005 limit exceeded, -32010 pending approval (data.requestId, data.poll), -32011 signing failed or aborted, -32012 conflict, -32021 signed but the node refused it (data.rawTransaction), -32030 unauthorized, -32031 forbidden; a read-only method passes on the node's own error",
              },
              message: { type: 'string' },
              data: { type: 'object' },
            },
          },
        },
      },
      Problem: {
        type: 'object',
        description:
          "RFC 9457 problem details (application/problem+json) for every error answer but the JSON-RPC endpoint's. `code` is the appliance's error code; `error` repeats it for clients of the former { error: { code, message, details } } body and goes in the next release.",
        required: ['type', 'title', 'status', 'detail', 'code'],
        properties: {
          type: {
            type: 'string',
            format: 'uri-reference',
            description:
              '/problems/<code>, relative to the bridge URL; /problems/conflict/idempotency_key_reused (422) and /problems/conflict/request_in_progress (409) for the two Idempotency-Key conflicts',
          },
          title: { type: 'string', description: "the code's title (host-bridge/problem.ts)" },
          status: { type: 'integer' },
          detail: { type: 'string', description: 'what went wrong this time (never a secret)' },
          code: { type: 'string', enum: [...ERROR_CODES] },
          error: { type: 'string', enum: [...ERROR_CODES], deprecated: true, description: 'the code again (deprecated)' },
          ready: { type: 'boolean', description: 'GET /healthz only: false' },
          details: {
            type: 'object',
            description:
              "Typed details. 400: bad_request { field } (malformed or over a field's length cap), non_canonical { field } (a quantity with leading zeros), bad_checksum { field } (a mixed-case address whose EIP-55 checksum is wrong). 413: body_too_large { limit } (the request body is over its route's cap: 256 KiB, 512 KiB for /v1/sign/evm-transaction and /v1/rpc, 4 MiB for /v1/policy/proposals; refused before the rest is read, and the connection is closed), frame_too_large (the command would exceed the appliance's 1 MiB request frame). 422: response_too_large { length, maxResponse } (the answer would exceed the appliance's 4 MiB response frame: ask for less). A device whose sealed state is broken refuses every key-using or state-changing route with 403 denied and details { rule: 'sealed-state', code: 'state_tampered' | 'clock_rollback', findings: string[] }; a firmware measurement not approved gives code 'measurement_not_approved'. A refusal by the appliance of a command it decoded carries auditSeq: the seq of the audit entry that records it (for an identical repeat, the first one's; the count follows in a refusal.repeated entry).",
          },
        },
      },
      Transaction: bodySchema(TX_FIELDS, {
        closed: true,
        description: 'an EVM transaction (json-cbor.ts TX_FIELDS: the members the bridge converts, each with its schema; another member is 400 bad_request)',
      }),
      ...RESULT_SCHEMAS,
      ...SIGN_BODY_SCHEMAS,
      Approval: {
        ...bodySchema(APPROVER_APPROVAL_BODY, { description: 'a key-file approval carries `signature`; a passkey (WebAuthn) approval carries `webauthn` instead (exactly one of the two)' }),
        oneOf: [{ required: ['signature'] }, { required: ['webauthn'] }],
      }, // the table the route reads the body with (approval-body.ts)
    },
  },
  paths: {
    '/healthz': {
      get: {
        summary: 'Appliance readiness',
        security: [],
        responses: {
          200: ok('ready', resultRef('Health')),
          503: errWith('appliance not reachable (the problem carries ready: false)'),
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: {
          200: ok('OpenAPI document', {
            type: 'object',
            required: ['openapi', 'info', 'paths'],
            properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } },
            description: 'this document (OpenAPI 3.1)',
          }),
          ...headersTooLarge,
        },
      },
    },
    '/metrics': {
      get: {
        summary:
          "Prometheus metrics (no token): the bridge's process metrics and request durations in seconds, and the appliance's (its metrics command: signed, denied and pending counts by rule, HSM sign latency, group-commit size, audit head, sealed state). An appliance that does not answer leaves hsm_appliance_up 0 (docs/metrics.md)",
        security: [],
        responses: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } }, ...headersTooLarge },
      },
    },
    '/console': {
      get: {
        summary: 'The approver console page (HTML; strict CSP default-src self). 404 when the bridge was started without a console origin',
        security: [],
        responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } }, 404: err },
      },
    },
    '/console/console.js': {
      get: { summary: "The console page's script", security: [], responses: { 200: { description: 'JavaScript module', content: { 'text/javascript': { schema: { type: 'string' } } } }, 404: err } },
    },
    '/console/console.css': {
      get: { summary: "The console page's style sheet", security: [], responses: { 200: { description: 'CSS', content: { 'text/css': { schema: { type: 'string' } } } }, 404: err } },
    },
    '/console/session/challenge': {
      post: {
        summary: 'A one-time passkey challenge for sign-in or registration (kept by the bridge for 2 minutes, used once); the request must carry Origin equal to the console origin',
        security: [],
        responses: {
          200: ok('a challenge', {
            type: 'object',
            required: ['challenge', 'rpId', 'expiresAt'],
            properties: { challenge: { type: 'string', description: 'base64url' }, rpId: { type: 'string' }, expiresAt: { type: 'integer', description: 'unix milliseconds' } },
          }),
          403: err,
          404: err,
        },
      },
    },
    '/console/session': {
      get: {
        summary: 'Who the console session cookie signs in (401 when none or expired)',
        security: [{ consoleSession: [] }],
        responses: { 200: ok('the signed-in approver', { type: 'object', required: ['approverId'], properties: { approverId: { type: 'string' } } }), 401: err, 404: err },
      },
      post: {
        summary:
          'Sign in with a passkey: a WebAuthn assertion over a challenge from /console/session/challenge, verified against the passkey approvers (alg WebAuthn) of the ACTIVE policy; sets the hsm_console cookie',
        security: [],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['credentialId', 'authenticatorData', 'clientDataJSON', 'signature'],
            properties: { credentialId: { type: 'string' }, authenticatorData: { type: 'string' }, clientDataJSON: { type: 'string' }, signature: { type: 'string' } },
            description: 'each base64url, as navigator.credentials.get() returns them',
          }),
        },
        responses: {
          200: ok('signed in; Set-Cookie hsm_console', {
            type: 'object',
            required: ['approverId', 'expiresAt'],
            properties: { approverId: { type: 'string' }, expiresAt: { type: 'integer', description: 'unix milliseconds' } },
          }),
          400: err,
          401: errWith(
            'refused: challenge_expired (unknown, used or expired), credential_unknown (not an approver of the active policy), assertion_refused (details.reason from the WebAuthn verifier)',
          ),
          403: err,
          404: err,
          413: tooLarge,
        },
      },
      delete: {
        summary: 'Sign out: the session ends and the cookie is cleared (Origin must be the console origin)',
        security: [],
        responses: { 204: { description: 'signed out' }, 403: err, 404: err },
      },
    },
    '/console/registration': {
      post: {
        summary:
          "Enrolment helper: reads a passkey registration (attestation none, user verified) made over a challenge from /console/session/challenge and answers the approver entry for the policy ({ id, alg: 'WebAuthn', publicKey, credentialId, rpId, origins }); changes nothing: the passkey approves once an admin quorum activates a policy holding it",
        security: [],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['approverId', 'attestationObject', 'clientDataJSON'],
            properties: { approverId: { type: 'string' }, attestationObject: { type: 'string' }, clientDataJSON: { type: 'string' } },
          }),
        },
        responses: {
          200: ok('the approver entry for the policy', {
            type: 'object',
            required: ['principal'],
            properties: {
              principal: {
                type: 'object',
                required: ['id', 'alg', 'publicKey', 'credentialId', 'rpId', 'origins'],
                properties: { id: { type: 'string' }, alg: { const: 'WebAuthn' }, publicKey: hex, credentialId: hex, rpId: { type: 'string' }, origins: { type: 'array', items: { type: 'string' } } },
              },
            },
          }),
          400: err,
          401: err,
          403: err,
          404: err,
          413: tooLarge,
        },
      },
    },
    '/v1/keys': {
      get: {
        summary: 'List keys (orchestrator, admin or auditor): a page of at most 1000; nextOffset is where the next page starts (null after the last)',
        security: bearer,
        parameters: [queryInt('limit', 'page size (default and max 1000)'), queryInt('offset', 'offset')],
        responses: { 200: ok('a page of keys', resultRef('KeyPage')), 401: err, 403: err },
      },
      post: {
        summary: 'Generate a secp256k1 key inside the token (admin)',
        security: bearer,
        requestBody: { required: true, content: json(bodySchema(KEY_GENERATE_BODY)) }, // admin-params.ts
        responses: { 201: ok('the key', resultRef('GeneratedKey')), 400: err, 401: err, 403: err, 413: tooLarge },
      },
    },
    '/v1/keys/{keyId}': {
      get: {
        summary: 'One key with its attestation certificate and PKCS#11 protection attributes (orchestrator, admin or auditor)',
        security: bearer,
        parameters: [pathParam('keyId', 'key id')],
        responses: { 200: ok('the key', resultRef('KeyWithProtection')), 404: err },
      },
    },
    '/v1/hd-wallets': {
      post: {
        summary: "Create an HD wallet (admin): a BIP-39 seed from the token's random generator, kept in the token; the mnemonic is never answered (docs/hd-wallets.md)",
        security: bearer,
        requestBody: { required: true, content: json(bodySchema(HD_CREATE_BODY)) }, // admin-params.ts
        responses: { 201: ok('the wallet', resultRef('HdWallet')), 400: err, 401: err, 403: err, 413: tooLarge },
      },
    },
    '/v1/hd-wallets/{walletId}/keys': {
      post: {
        summary: "Derive the key at m/44'/60'/account'/0/index into the token and register it in a key group (admin); it signs through the same policy as any key of its group",
        security: bearer,
        parameters: [pathParam('walletId', 'wallet id (hd-…)')],
        requestBody: { required: true, content: json(bodySchema(HD_DERIVE_BODY)) }, // admin-params.ts
        responses: { 201: ok('the derived key', resultRef('DerivedKey')), 400: err, 401: err, 403: err, 404: err, 409: err, 413: tooLarge },
      },
    },
    '/v1/hd-wallets/{walletId}/accounts/{account}/xpub': {
      get: {
        summary:
          "The extended public key of account m/44'/60'/account' (admin or auditor), from which the ledger derives deposit addresses m/44'/60'/a'/0/i with no appliance call; each export is audited",
        security: bearer,
        parameters: [
          pathParam('walletId', 'wallet id (hd-…)'),
          { name: 'account', in: 'path', required: true, schema: { type: 'integer', minimum: 0, maximum: 2147483647 }, description: 'account index a' },
        ],
        responses: { 200: ok('the account xpub', resultRef('HdXpub')), 400: err, 401: err, 403: err, 404: err },
      },
    },
    '/v1/sign/evm-transaction': {
      post: {
        summary: 'Sign an EVM transaction if the active policy allows it (orchestrator)',
        security: bearer,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: true,
            schema: idempotencyKeySchema,
            description: 'a retry with the same key returns the same result and never signs twice',
          },
        ],
        requestBody: {
          required: true,
          content: json(bodySchema(SIGN_EVM_TX_BODY)), // the table the route reads the body with (sign-params.ts)
        },
        responses: {
          200: ok('signed', resultRef('SignTransactionAnswer')),
          202: ok('pending approval: sign the statement and POST it to /v1/requests/{id}/approvals', resultRef('SignTransactionAnswer')),
          403: ok('denied by policy, with reasons', resultRef('SignTransactionAnswer')),
          400: err,
          401: err,
          404: err,
          409: ok(
            'a stored failed or aborted answer (status failed or aborted); a request still being signed under this key is the problem /problems/conflict/request_in_progress (details.code request_in_progress): ask again',
            resultRef('SignTransactionAnswer'),
          ),
          422: keyReused,
          413: tooLarge,
        },
      },
    },
    '/v1/sign/typed-data': {
      post: {
        summary:
          "Sign EIP-712 typed data (orchestrator). Deny by default: the domain must be allowlisted for the key group, its chainId one of the group's chains (else chain_not_allowed), and the primary type decoded by the firmware (Permit and Permit2 PermitSingle/PermitBatch judged like approve: whitelisted spender, approval cap per grant and on the spender's outstanding allowance (allowance_total_above_cap), unlimited refused unless allowed (unlimited_approval), the token's rolling window (reserved) and approval tiers, a Permit's owner the signing key (else typed_owner_not_signer), one token per PermitBatch (else typed_batch_tokens); EIP-3009 Transfer/ReceiveWithAuthorization judged as transfers: whitelist, per-tx limit, rolling window, approval tiers; Permit2 PermitTransferFrom/PermitBatchTransferFrom judged as a transfer to the spender of the amount summed per token, one token per signature (else typed_batch_tokens), their witness forms only if their exact type hash is allowlisted) or allowlisted for that domain by its exact type hash (else reason typed_type_not_allowed, detail { primaryType, typeHash }). A Safe transaction (SafeTx: domain chainId and verifyingContract = the Safe) is signed only for a Safe the group's `safes` lists (else safe_not_allowed), as a call (operation 1 refused: safe_delegatecall), with no gas refund unless the Safe's entry allows one to a whitelisted receiver (safe_gas_refund), at a Safe nonce not already taken by another SafeTx (nonce_conflict); its inner call (to, value, data) is judged like a transaction of the group (whitelist, limits, allowance caps, windows, approval tiers), and the audit entry records it decoded (safeTx.innerCall).",
        security: bearer,
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: idempotencyKeySchema, description: 'a retry with the same key returns the same result and never signs twice' }],
        requestBody: {
          required: true,
          content: json(bodySchema(SIGN_TYPED_DATA_BODY)), // the table the route reads the body with (sign-params.ts)
        },
        responses: {
          200: ok('signed: digest (= intentDigest), 65-byte signature (r||s||v), yParity, approvedBy, auditSeq', resultRef('SignTypedDataAnswer')),
          202: ok('pending approval (an EIP-3009 transfer above an approval tier): approvers sign the statement over intentDigest, the EIP-712 digest', resultRef('SignTypedDataAnswer')),
          403: ok(
            'denied, with reasons (e.g. typed_domain_not_allowed, chain_not_allowed, typed_type_not_allowed, typed_from_not_signer, typed_owner_not_signer, typed_batch_tokens, safe_not_allowed, safe_delegatecall, safe_gas_refund, nonce_conflict, not_whitelisted, per_tx_limit, window_amount, approval_above_cap, allowance_total_above_cap, unlimited_approval)',
            resultRef('SignTypedDataAnswer'),
          ),
          400: err,
          409: ok(
            'a stored failed or aborted answer (status failed or aborted); a request still being signed under this key is the problem /problems/conflict/request_in_progress (details.code request_in_progress): ask again',
            resultRef('SignTypedDataAnswer'),
          ),
          422: keyReused,
          413: tooLarge,
        },
      },
    },
    '/v1/rpc': {
      post: {
        summary:
          'Ethereum JSON-RPC (orchestrator), in the style of Web3Signer and Clef: eth_accounts, eth_signTransaction, eth_sendTransaction, eth_signTypedData_v4, and read-only methods answered by the configured node (docs/json-rpc.md)',
        description:
          "A JSON-RPC 2.0 request object or a batch (an array of at most 32, run in order). Signing takes the REST sign routes' path: the same parameter builders and appliance commands (key.list to find the key by its address, sign.evm-tx, sign.typed-data; request.get for a retry whose filled fields moved; policy.get for eth_accounts), with the token's principal as the requester. The appliance decides; its answers come back inside JSON-RPC responses with HTTP 200: pending approval is error -32010 with data { requestId, required, approvedBy, reasons, poll: { method, path }, retry: { header, value } }; a denial -32003 with data { requestId, reasons: [{ rule, code, message }], auditSeq }; malformed params -32602; an unknown method -32601; eth_sign and personal_sign are refused by design with -32004; the appliance's typed errors keep their code in data.code. The request id (idempotency key) is the Idempotency-Key header when a single call carries one, else 'rpc-' + SHA-256 of the canonical JSON of [principal, method, params, JSON-RPC id]. Notifications (no id) are not run. Only a refused token or scope (401, 403), an unreachable appliance during that check (503) and an over-long body (413) change the HTTP status.",
        security: bearer,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: idempotencyKeySchema,
            description: 'names the request of a single signing call (refused on a batch); calling again with it returns the stored answer and never signs twice',
          },
        ],
        requestBody: {
          required: true,
          content: json({ oneOf: [{ $ref: '#/components/schemas/RpcRequest' }, { type: 'array', minItems: 1, maxItems: 32, items: { $ref: '#/components/schemas/RpcRequest' } }] }),
        },
        responses: {
          200: ok('a JSON-RPC response, or an array of them for a batch', {
            oneOf: [{ $ref: '#/components/schemas/RpcResponse' }, { type: 'array', items: { $ref: '#/components/schemas/RpcResponse' } }],
          }),
          204: { description: 'the body held only notifications: nothing was run and nothing is answered' },
          401: ok('no or unknown bearer token: a JSON-RPC error -32030 with id null', { $ref: '#/components/schemas/RpcResponse' }),
          403: ok('the token lacks the orchestrator scope or its principal the requester role: a JSON-RPC error -32031 with id null', { $ref: '#/components/schemas/RpcResponse' }),
          503: ok('the appliance could not be reached to check the token: a JSON-RPC error -32002 with id null', { $ref: '#/components/schemas/RpcResponse' }),
          413: tooLarge,
        },
      },
    },
    '/v1/requests': {
      get: {
        summary: 'Pending sign requests, newest first, each with what the appliance decoded (any approver, admin or auditor; a requester its own; the approver console with its session cookie)',
        description:
          "Each item is what GET /v1/requests/{id} answers plus `decoded`: read back by the appliance from its own audit entry of the hold (auditSeq): the intent (chainId, asset, to, amount, nonce, maxFee, maxFeePerGas, maxPriorityFeePerGas, gasLimit) or the typed-data summary, keyGroup, policyVersion, the reasons (the rules that ask for approval), and recipientLabels (the recipient's whitelist labels on its chain, by group). Pass `next` as `after` for the next page.",
        security: [{ bearer: [] }, { consoleSession: [] }],
        parameters: [
          { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: ['pending'] }, description: 'only pending requests are listed (the default)' },
          queryInt('limit', 'page size (default 20, max 100)'),
          { name: 'after', in: 'query', required: false, schema: { type: 'string' }, description: "the previous page's `next`" },
        ],
        responses: { 200: ok('a page of pending requests', resultRef('RequestPage')), 400: err },
      },
    },
    '/v1/requests/{id}': {
      get: {
        summary: 'State of a sign request (its requester with an orchestrator token; any approver, admin or auditor; the approver console with its session cookie)',
        description:
          "A requester reads only its own requests: another requester's request answers 404 not_found, the same as an id never used (the refusal is audited; details carry only auditSeq). Request ids (Idempotency-Keys) are one namespace across requesters: a key another requester used first answers 422 (problem conflict, details.code idempotency_key_reused) with nothing of that request.",
        security: bearer,
        parameters: [pathParam('id', 'the Idempotency-Key')],
        responses: {
          200: ok('signed, signing, or a stored failed or aborted answer', resultRef('Request')),
          202: ok('pending', resultRef('Request')),
          403: ok('denied', resultRef('Request')),
          404: err,
        },
      },
    },
    '/v1/requests/{id}/approvals': {
      post: {
        summary: 'Add an approval (approver, or the approver console with its session cookie and an Origin header equal to the console origin); signs the request once the quorum is met',
        security: bearer,
        parameters: [pathParam('id', 'the Idempotency-Key')],
        requestBody: { required: true, content: json({ $ref: '#/components/schemas/Approval' }) },
        responses: {
          200: ok('signed', resultRef('RequestAnswer')),
          202: ok('still pending', resultRef('RequestAnswer')),
          403: ok(
            "approval rejected (details.why: requester_cannot_approve, unknown_approver, expired, lifetime_too_long, bad_signature, counter_replayed; a passkey's details.webauthn names the verifier's reason, e.g. challenge_mismatch) or request denied; a fresh approval replaces the same approver's stored one that no longer counts",
            resultRef('RequestAnswer'),
          ),
          404: err,
          409: err,
          413: tooLarge,
        },
      },
    },
    '/v1/whitelist': {
      get: {
        summary: 'Whitelist entries with their holds (orchestrator, admin or auditor)',
        security: bearer,
        parameters: [queryInt('limit', 'page size (max 1000)'), queryInt('offset', 'offset')],
        responses: { 200: ok('entries', resultRef('WhitelistEntries')) },
      },
    },
    '/v1/whitelist/proposals': {
      get: {
        summary: 'Whitelist proposals with one status, oldest first: pending (the default) waits for admin signatures (admin, approver or auditor)',
        description:
          'Each item is what GET /v1/whitelist/proposals/{id} answers: group, chainId, address, label, proposedBy, status, createdAt, quorumAt, activeAt, required, approvedBy and the statement an admin signs.',
        security: bearer,
        parameters: [
          { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: ['pending', 'accepted', 'cancelled'] }, description: 'default pending' },
          queryInt('limit', 'page size (default 20, max 100)'),
          queryInt('offset', 'offset'),
        ],
        responses: { 200: ok('proposals', resultRef('WhitelistProposals')), 400: err },
      },
      post: {
        summary: 'Propose a whitelist entry (admin); it needs the admin quorum, then waits its hold',
        security: bearer,
        requestBody: {
          required: true,
          content: json(bodySchema(WHITELIST_PROPOSE_BODY)), // admin-params.ts
        },
        responses: { 201: ok('the proposal, with the statement admins sign', resultRef('WhitelistProposal')), 400: err, 413: tooLarge },
      },
    },
    '/v1/whitelist/proposals/{id}': {
      get: {
        summary: 'A whitelist proposal: what it adds, its status and tally, when its hold ends, and the statement admins sign (admin, approver or auditor)',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        responses: { 200: ok('proposal', resultRef('WhitelistProposal')), 404: err },
      },
    },
    '/v1/whitelist/proposals/{id}/approvals': {
      post: {
        summary: 'Add an admin approval to a whitelist proposal (admin)',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: {
          required: true,
          content: json(bodySchema(ADMIN_APPROVAL_BODY)), // approval-body.ts
        },
        responses: { 200: ok('the proposal', resultRef('WhitelistProposal')), 403: err, 404: err, 413: tooLarge },
      },
    },
    '/v1/whitelist/proposals/{id}/cancel': {
      post: {
        summary: 'Admin approval to cancel an accepted entry still in its hold (admin); at the admin quorum the entry is removed',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: {
          required: true,
          content: json(bodySchema(ADMIN_APPROVAL_BODY)), // approval-body.ts
        },
        responses: { 200: ok('cancel state', resultRef('WhitelistCancel')), 403: err, 409: err, 413: tooLarge },
      },
    },
    '/v1/whitelist/{chainId}/{address}': {
      delete: {
        summary: 'Remove an address at once (admin)',
        security: bearer,
        parameters: [pathParam('chainId', 'chain id'), pathParam('address', '0x address'), { name: 'group', in: 'query', required: false, schema: { type: 'string' } }],
        requestBody: { required: false, content: json(bodySchema(ADMIN_STAMP_BODY)) }, // admin-params.ts
        responses: { 200: ok('removed', resultRef('WhitelistRemoval')), 404: err, 413: tooLarge },
      },
    },
    '/v1/policy/proposals': {
      get: {
        summary: 'The open policy proposals (pending their admin quorum or scheduled behind their time lock), oldest first, without the list of changes (admin, approver or auditor)',
        security: bearer,
        parameters: [queryInt('limit', 'at most this many (default 20, max 50)')],
        responses: { 200: ok('proposals: each with changeCount, status, tally, activateAfter and the statement admins sign', resultRef('PolicyProposals')), 400: err },
      },
      post: {
        summary:
          'Propose the next policy version (admin): JSON policy (version, parent and device are filled in) or a canonical CBOR document; it needs the admin quorum, then the time lock, unless it only tightens',
        security: bearer,
        requestBody: {
          required: true,
          // admin-params.ts; `document` or `policy` (with both, `document` is read)
          content: json({ ...bodySchema(POLICY_PROPOSE_BODY), anyOf: [{ required: ['document'] }, { required: ['policy'] }] }),
        },
        responses: {
          201: ok('the proposal, its changes (the first 1000; changeCount counts them all), and the statement admins sign', resultRef('PolicyProposal')),
          400: err,
          409: err,
          413: tooLarge,
        },
      },
    },
    '/v1/policy/proposals/{id}': {
      get: {
        summary: 'A policy proposal with its changes, tally and the statement admins sign (admin, approver or auditor)',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        responses: { 200: ok('proposal', resultRef('PolicyProposal')), 404: err },
      },
    },
    '/v1/policy/proposals/{id}/approvals': {
      post: {
        summary: "Admin approval of a policy proposal (admin); the proposer's own does not count",
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: {
          required: true,
          content: json(bodySchema(ADMIN_APPROVAL_BODY)), // approval-body.ts
        },
        responses: { 200: ok('proposal', resultRef('PolicyProposal')), 403: err, 404: err, 413: tooLarge },
      },
    },
    '/v1/policy/proposals/{id}/cancel': {
      post: {
        summary: 'Cancel a pending or scheduled change (admin, one signature over the cancel statement)',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: {
          required: true,
          content: json(bodySchema(ADMIN_APPROVAL_BODY)), // approval-body.ts
        },
        responses: { 200: ok('proposal', resultRef('PolicyProposal')), 403: err, 409: err, 413: tooLarge },
      },
    },
    '/v1/policy/proposals/{id}/activate': {
      post: {
        summary: 'Activate a scheduled change whose time lock has passed (admin; the appliance also does it by itself)',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: { required: false, content: json(bodySchema(ADMIN_STAMP_BODY)) }, // admin-params.ts
        responses: { 200: ok('proposal', resultRef('PolicyProposal')), 403: err, 409: err, 413: tooLarge },
      },
    },
    '/v1/policy/versions/{v}/diff': {
      get: {
        summary: 'Readable diff of policy version v against v-1 or ?against= (auditor); Accept: text/markdown for Markdown',
        security: bearer,
        parameters: [pathParam('v', 'version'), queryInt('against', 'base version (default v-1)')],
        responses: { 200: ok('changes (the first 1000; changeCount counts them all), stricter flag, markdown (the same rows, then how many more)', resultRef('PolicyDiff')), 404: err },
      },
    },
    '/v1/policy': { get: { summary: 'The active policy (auditor)', security: bearer, responses: { 200: ok('policy', resultRef('Policy')) } } },
    '/v1/audit/export': {
      get: {
        summary: 'Stream audit entries from a seq (auditor): application/cbor-seq of COSE_Sign1 entries (RFC 8742), or JSON Lines for SIEMs',
        security: bearer,
        parameters: [queryInt('fromSeq', 'first seq (default 1)'), { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['cbor-seq', 'jsonl'] } }],
        responses: {
          200: { description: 'the stream', content: { 'application/cbor-seq': { schema: { type: 'string', format: 'binary' } }, 'application/jsonl': { schema: { type: 'string' } } } },
          400: err,
        },
      },
    },
    '/v1/events': {
      get: {
        summary:
          'Server-sent events (any token, or the approver console session cookie): whitelist hold started/ended/cancelled, approval needed, policy proposed/scheduled/activated/cancelled, signed, denied; derived from the attested log (notifications, not proof)',
        description:
          "Each event derives from one audit entry, by its kind and outcome: every decision entry (request.approve, sign.evm-tx, sign.typed-data…) yields approval.needed, sign.denied or sign.signed with { requestId, kind, requester, keyId, intentDigest | typedDataDigest, primaryType, reasons | txHash, approvedBy }. whitelist.hold_ended (reason 'elapsed' or 'removed') means the entry became active or was removed in its hold; an entry cancelled in its hold yields whitelist.cancelled and never hold_ended. The SSE id is a position in the audit log: '<seq>' (or '<seq>.<k>' for an entry's k-th further event), '<seq>~<n>~<proposalId>' for the n-th hold (from 0) that elapsed after entry <seq>, so no two events share a position; hold_ended is sent only after the log was read up to then and whitelist.list, on the device's own time, shows the entry out of its hold (a failed read, or an entry still held, means asking again later); so Last-Event-ID survives a bridge restart (missed entries are read from the log again, at most the last 10 000 entries; holds that elapsed while no bridge ran are not replayed). A token whose only scope is orchestrator sees the events of its own principal's requests; any other scope sees the whole feed. Each event's JSON carries the readable members the bridge adds to its answers: `timeIso` beside `time` (and `activeAtIso` beside `activeAt`), an `explanation` beside each reason.",
        security: bearer,
        parameters: [
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: '^[0-9]{1,15}(\\.[0-9]{1,5}|~[0-9]{1,9}~[A-Za-z0-9._-]{1,64})?$' },
            description: 'resume after this event id (an audit position)',
          },
        ],
        responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 401: err, 403: err },
      },
    },
    '/v1/device': {
      get: {
        summary: 'Device identity: certificates, attestation key, measurements, and `sealed` { ok, findings } (whether the sealed state and the clock let the device act) (auditor)',
        security: bearer,
        responses: { 200: ok('device', resultRef('Device')) },
      },
    },
    '/v1/device/attestation': {
      get: {
        summary: 'Attestation quote (auditor): a COSE_Sign1 by the device key over device id, measurement, policy hash, log head, time and the challenge',
        security: bearer,
        parameters: [{ name: 'challenge', in: 'query', required: true, schema: hex, description: '8 to 64 random bytes, 0x hex' }],
        responses: { 200: ok('a quote', resultRef('AttestationQuote')), 400: err },
      },
    },
    '/v1/firmware/approvals': {
      post: {
        summary: 'Admin approval of a new firmware measurement (admin); at quorum the device signs again',
        security: bearer,
        requestBody: {
          required: true,
          content: json(bodySchema(FIRMWARE_APPROVAL_BODY)), // device-params.ts
        },
        responses: { 200: ok('approval state', resultRef('FirmwareApproval')), 403: err, 413: tooLarge },
      },
    },
    '/v1/audit': {
      get: {
        summary:
          'Audit entries from a seq (auditor): at most `limit` entries and about 1 MiB of entry bytes per page (one entry always), so pages whose entries embed policy documents still fit; `nextSeq` is where the next page starts, null at the head',
        security: bearer,
        parameters: [queryInt('fromSeq', 'first seq'), queryInt('limit', 'page size (max 1000)')],
        responses: { 200: ok('headSeq, headHash, nextSeq, and entries: stored COSE_Sign1 bytes, their hash and the decoded payload', resultRef('AuditPage')) },
      },
    },
    '/v1/device/time': {
      get: {
        summary:
          "The device's time (admin): `time` is its own time (the earliest plausible now, used for holds, time locks and rolling windows; it never follows a host clock moved forward), `latest` the latest plausible now (approval expiry), `hostTime` and `hostAheadSeconds` what the host clock says, and the `nonce` and `statement` an admin time statement signs",
        security: bearer,
        responses: { 200: ok('the device time', resultRef('DeviceTime')), 401: err, 403: err },
      },
    },
    '/v1/device/time/attestations': {
      post: {
        summary:
          "Admin-quorum time statement (admin): moves the device's time forward to `time` (never back). Each admin signs the canonical statement { type: 'device-time', deviceId, nonce, time, adminId, expiresAt }. Refused with 403 denied and details { rule: 'device-time', code, auditSeq }: code 'stale_nonce' (not the device's current nonce: a used statement cannot be replayed), 'time_ahead_of_host' (more than the tolerance ahead of the host clock), 'quorum_not_met' (with counted and rejected); each refusal is audited",
        security: bearer,
        requestBody: {
          required: true,
          content: json(bodySchema(DEVICE_TIME_BODY)), // device-params.ts
        },
        responses: { 200: ok('accepted', resultRef('DeviceTimeAccepted')), 400: err, 401: err, 403: err, 413: tooLarge },
      },
    },
  },
} as const;

/** The bridge's own refusals: a token (401) or scope (403), and a body over its route's cap (413). */
const SCOPED = ['unauthorized', 'forbidden'] as const satisfies readonly ErrorCode[];
const WITH_BODY = [...SCOPED, 'body_too_large'] as const satisfies readonly ErrorCode[];
/** Routes that read an address: a mixed-case one whose EIP-55 checksum is wrong is 400 bad_checksum. */
const WITH_ADDRESS = [...WITH_BODY, 'bad_checksum'] as const satisfies readonly ErrorCode[];

export interface RouteErrors {
  /** The appliance commands the route forwards (none: the bridge answers alone, or streams). */
  commands: readonly CommandName[];
  /** The bridge's own codes for the route. */
  bridge: readonly ErrorCode[];
}

/** Per operation ('GET /v1/keys'): which commands it forwards and which codes the bridge adds. */
export const ROUTE_ERRORS: Readonly<Record<string, RouteErrors>> = {
  'GET /healthz': { commands: ['health'], bridge: [] },
  'GET /v1/keys': { commands: ['key.list'], bridge: SCOPED },
  'POST /v1/keys': { commands: ['key.generate'], bridge: WITH_BODY },
  'GET /v1/keys/{keyId}': { commands: ['key.get'], bridge: SCOPED },
  'POST /v1/hd-wallets': { commands: ['hd.create'], bridge: WITH_BODY },
  'POST /v1/hd-wallets/{walletId}/keys': { commands: ['hd.derive'], bridge: WITH_BODY },
  'GET /v1/hd-wallets/{walletId}/accounts/{account}/xpub': { commands: ['hd.xpub'], bridge: SCOPED },
  'POST /v1/sign/evm-transaction': { commands: ['sign.evm-tx'], bridge: WITH_ADDRESS },
  'POST /v1/sign/typed-data': { commands: ['sign.typed-data'], bridge: WITH_BODY },
  // The commands' refusals travel inside JSON-RPC error objects (HTTP 200), and so do the token and
  // scope refusals (401, 403, 503 with a JSON-RPC body, described on the operation); only the body cap is a typed error.
  'POST /v1/rpc': { commands: [], bridge: ['body_too_large'] },
  'GET /v1/requests': { commands: ['request.list'], bridge: [...SCOPED, 'bad_request'] },
  'GET /v1/requests/{id}': { commands: ['request.get'], bridge: SCOPED },
  'POST /v1/requests/{id}/approvals': { commands: ['request.approve'], bridge: WITH_BODY },
  'GET /v1/whitelist': { commands: ['whitelist.list'], bridge: SCOPED },
  'GET /v1/whitelist/proposals': { commands: ['whitelist.proposals'], bridge: SCOPED },
  'GET /v1/whitelist/proposals/{id}': { commands: ['whitelist.proposal'], bridge: SCOPED },
  'POST /v1/whitelist/proposals': { commands: ['whitelist.propose'], bridge: WITH_ADDRESS },
  'POST /v1/whitelist/proposals/{id}/approvals': { commands: ['whitelist.approve'], bridge: WITH_BODY },
  'POST /v1/whitelist/proposals/{id}/cancel': { commands: ['whitelist.cancel'], bridge: WITH_BODY },
  'DELETE /v1/whitelist/{chainId}/{address}': { commands: ['whitelist.remove'], bridge: WITH_ADDRESS },
  'POST /v1/policy/proposals': { commands: ['policy.get', 'policy.propose'], bridge: WITH_ADDRESS },
  'GET /v1/policy/proposals': { commands: ['policy.proposals'], bridge: SCOPED },
  'GET /v1/policy/proposals/{id}': { commands: ['policy.proposal'], bridge: SCOPED },
  'POST /v1/policy/proposals/{id}/approvals': { commands: ['policy.approve'], bridge: WITH_BODY },
  'POST /v1/policy/proposals/{id}/cancel': { commands: ['policy.cancel'], bridge: WITH_BODY },
  'POST /v1/policy/proposals/{id}/activate': { commands: ['policy.activate'], bridge: WITH_BODY },
  'GET /v1/policy/versions/{v}/diff': { commands: ['policy.diff'], bridge: SCOPED },
  'GET /v1/policy': { commands: ['policy.get'], bridge: SCOPED },
  // The stream answers 200 once its query is read; the appliance's errors end the stream.
  'GET /v1/audit/export': { commands: [], bridge: ['bad_request', 'non_canonical', ...SCOPED] },
  'GET /v1/events': { commands: [], bridge: SCOPED },
  'GET /v1/device': { commands: ['device.info'], bridge: SCOPED },
  'GET /v1/device/attestation': { commands: ['device.attest'], bridge: SCOPED },
  'POST /v1/firmware/approvals': { commands: ['firmware.approve'], bridge: WITH_BODY },
  'GET /v1/audit': { commands: ['audit.list'], bridge: SCOPED },
  'GET /v1/device/time': { commands: ['device.time'], bridge: SCOPED },
  'GET /console': { commands: [], bridge: ['not_found'] },
  'GET /console/console.js': { commands: [], bridge: ['not_found'] },
  'GET /console/console.css': { commands: [], bridge: ['not_found'] },
  'POST /console/session/challenge': { commands: [], bridge: ['forbidden', 'not_found'] },
  'GET /console/session': { commands: [], bridge: ['unauthorized', 'not_found'] },
  'POST /console/session': { commands: ['policy.get'], bridge: ['bad_request', 'unauthorized', 'forbidden', 'not_found', 'body_too_large'] },
  'DELETE /console/session': { commands: [], bridge: ['forbidden', 'not_found'] },
  'POST /console/registration': { commands: [], bridge: ['bad_request', 'unauthorized', 'forbidden', 'not_found', 'body_too_large'] },
  'POST /v1/device/time/attestations': { commands: ['device.time.attest'], bridge: WITH_BODY },
};

/** Each operation's operationId (the names a generated client's methods take; the SDK's where it has one). */
export const OPERATION_IDS: Readonly<Record<string, string>> = {
  'GET /healthz': 'health',
  'GET /openapi.json': 'openapi',
  'GET /metrics': 'metrics',
  'GET /console': 'consolePage',
  'GET /console/console.js': 'consoleScript',
  'GET /console/console.css': 'consoleStyleSheet',
  'POST /console/session/challenge': 'createConsoleChallenge',
  'GET /console/session': 'getConsoleSession',
  'POST /console/session': 'createConsoleSession',
  'DELETE /console/session': 'deleteConsoleSession',
  'POST /console/registration': 'readPasskeyRegistration',
  'GET /v1/keys': 'listKeys',
  'POST /v1/keys': 'generateKey',
  'GET /v1/keys/{keyId}': 'getKey',
  'POST /v1/hd-wallets': 'createHdWallet',
  'POST /v1/hd-wallets/{walletId}/keys': 'deriveHdKey',
  'GET /v1/hd-wallets/{walletId}/accounts/{account}/xpub': 'getHdAccountXpub',
  'POST /v1/sign/evm-transaction': 'signEvmTransaction',
  'POST /v1/sign/typed-data': 'signTypedData',
  'POST /v1/rpc': 'jsonRpc',
  'GET /v1/requests': 'listRequests',
  'GET /v1/requests/{id}': 'getRequest',
  'POST /v1/requests/{id}/approvals': 'approveRequest',
  'GET /v1/whitelist': 'listWhitelist',
  'GET /v1/whitelist/proposals': 'listWhitelistProposals',
  'GET /v1/whitelist/proposals/{id}': 'getWhitelistProposal',
  'POST /v1/whitelist/proposals': 'proposeWhitelistEntry',
  'POST /v1/whitelist/proposals/{id}/approvals': 'approveWhitelistProposal',
  'POST /v1/whitelist/proposals/{id}/cancel': 'cancelWhitelistEntry',
  'DELETE /v1/whitelist/{chainId}/{address}': 'removeWhitelistEntry',
  'GET /v1/policy/proposals': 'listPolicyProposals',
  'POST /v1/policy/proposals': 'proposePolicy',
  'GET /v1/policy/proposals/{id}': 'getPolicyProposal',
  'POST /v1/policy/proposals/{id}/approvals': 'approvePolicyProposal',
  'POST /v1/policy/proposals/{id}/cancel': 'cancelPolicyProposal',
  'POST /v1/policy/proposals/{id}/activate': 'activatePolicyProposal',
  'GET /v1/policy/versions/{v}/diff': 'diffPolicyVersion',
  'GET /v1/policy': 'getPolicy',
  'GET /v1/audit/export': 'exportAudit',
  'GET /v1/events': 'streamEvents',
  'GET /v1/device': 'getDevice',
  'GET /v1/device/attestation': 'attestDevice',
  'POST /v1/firmware/approvals': 'approveFirmware',
  'GET /v1/audit': 'listAudit',
  'GET /v1/device/time': 'getDeviceTime',
  'POST /v1/device/time/attestations': 'attestDeviceTime',
};

/** Every code an operation can answer: COMMON_ERRORS and each forwarded command's, then the bridge's. */
export function routeErrorCodes(route: RouteErrors): ErrorCode[] {
  const codes = new Set<ErrorCode>();
  for (const cmd of route.commands) for (const code of [...COMMON_ERRORS, ...CATALOGUE[cmd].errors]) codes.add(code);
  for (const code of route.bridge) codes.add(code);
  return [...codes];
}

type Operation = { description?: string; responses?: Record<string, unknown> } & Record<string, unknown>;
const problemSchema = { $ref: '#/components/schemas/Problem' };
const problem = (schema: object) => ({ 'application/problem+json': { schema } });

/** The operation with a response for each status its codes map to; a response it already describes keeps its words, and names the codes. */
function withErrors(op: Operation, route: RouteErrors): Operation {
  const byStatus = new Map<string, ErrorCode[]>();
  for (const code of routeErrorCodes(route)) {
    const status = String(ERROR_STATUS[code]);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = { ...op.responses };
  for (const [status, codes] of byStatus) {
    const typed = `problem: ${codes.join(', ')}`;
    const given = responses[status] as { description?: string; content?: Record<string, { schema?: object }> } | undefined;
    if (!given || given === err || given === tooLarge || !given.description) {
      responses[status] = {
        description: given === tooLarge ? `${typed} (the body is refused before the rest is read; the connection is closed)` : typed[0]!.toUpperCase() + typed.slice(1),
        content: problem(problemSchema),
      };
    } else {
      responses[status] = { ...given, description: `${given.description}; or a ${typed}`, content: { ...given.content, ...problem(problemSchema) } };
    }
  }
  const described = route.commands.map((cmd) => `${cmd}: ${CATALOGUE[cmd].summary}`).join(' ');
  const description = described ? (op.description ? `${op.description}\n\nAppliance command ${described}` : `Appliance command ${described}`) : op.description;
  return { ...op, ...(description === undefined ? {} : { description }), ...(route.commands.length ? { 'x-appliance-commands': route.commands } : {}), responses };
}

/** Each operation with its operationId (first) and its typed error responses. */
function describeOperations<D extends { paths: Record<string, Record<string, object>> }>(doc: D): D {
  const paths: Record<string, Record<string, object>> = {};
  for (const [path, ops] of Object.entries(doc.paths)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path}`;
      const route = ROUTE_ERRORS[key];
      const operationId = OPERATION_IDS[key];
      paths[path][method] = { ...(operationId ? { operationId } : {}), ...(route ? withErrors(op as Operation, route) : op) };
    }
  }
  return { ...doc, paths };
}

export const openApiDocument = describeOperations(baseDocument);
