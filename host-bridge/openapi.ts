// The bridge's API description (OpenAPI 3.1), served at GET /openapi.json. Keep it true: a test
// checks that every route the app serves is described here and the other way round.

const err = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const json = (schema: object) => ({ 'application/json': { schema } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, content: json(schema) });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const queryInt = (name: string, description: string) => ({ name, in: 'query', required: false, schema: { type: 'integer', minimum: 0 }, description });

const uint = { type: 'string', pattern: '^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$', description: 'unsigned integer as a decimal string (or 0x hex); small values may be JSON integers' };
const hex = { type: 'string', pattern: '^0x([0-9a-fA-F]{2})*$' };
const address = { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' };

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'HSM signer appliance: host bridge',
    version: '0.1.0',
    description:
      'HTTP front of the signer appliance. The bridge authenticates bearer tokens, converts JSON to canonical CBOR commands and forwards them; every decision is made inside the appliance.',
  },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          "Token with scopes orchestrator, approver, admin and/or auditor, bound to one principal id of the active policy (a requester, admin, approver or auditor). The bridge names that id, never the token's name, as the requester of what it forwards. A token bound to no principal is refused with 401 (details.code 'token_unbound'); a token whose principal the active policy does not know, with 403 forbidden (details { code: 'unknown_principal', principal }), before anything reaches the appliance. Whether the principal may ask for what it asks is the appliance's decision: a signing request from an id that is not a policy requester is denied (reasons [{ rule: 'requester', code: 'unknown_principal' | 'requester_not_allowed' }]); a whitelist or policy proposal, or a whitelist removal, from an id that is not an admin is refused with 403 denied (details { rule: 'requester', code, requester, role, auditSeq }). Both are audited.",
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: ['bad_request', 'non_canonical', 'unknown_command', 'frame_too_large', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'denied', 'unavailable', 'internal'] }, message: { type: 'string' }, details: { type: 'object', description: "Typed details. A device whose sealed state is broken refuses every key-using or state-changing route with 403 denied and details { rule: 'sealed-state', code: 'state_tampered' | 'clock_rollback', findings: string[] }; a firmware measurement not approved gives code 'measurement_not_approved'." } } },
        },
      },
      Transaction: {
        type: 'object',
        required: ['type', 'chainId', 'nonce', 'gasLimit', 'to', 'value'],
        properties: {
          type: { type: 'string', enum: ['legacy', 'eip2930', 'eip1559'] },
          chainId: uint,
          nonce: uint,
          gasLimit: uint,
          to: { oneOf: [address, { type: 'null' }] },
          value: uint,
          data: hex,
          gasPrice: { ...uint, description: 'legacy and eip2930' },
          maxFeePerGas: { ...uint, description: 'eip1559' },
          maxPriorityFeePerGas: { ...uint, description: 'eip1559' },
          accessList: { type: 'array', items: { type: 'object', properties: { address, storageKeys: { type: 'array', items: hex } } } },
        },
      },
      Reason: { type: 'object', properties: { rule: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' }, detail: { type: 'object' } } },
      SignResult: {
        type: 'object',
        required: ['status', 'requestId'],
        properties: {
          status: { type: 'string', enum: ['signed', 'pending_approval', 'denied', 'aborted', 'failed'] },
          requestId: { type: 'string' },
          keyId: { type: 'string' },
          from: address,
          intentDigest: hex,
          rawTransaction: { ...hex, description: 'signed transaction, ready for eth_sendRawTransaction (status signed)' },
          txHash: hex,
          required: { type: 'integer', description: 'approvals needed (status pending_approval)' },
          approvedBy: { type: 'array', items: { type: 'string' } },
          statement: { type: 'object', description: 'the approval statement to sign, with approverId and expiresAt filled in (status pending_approval)' },
          reasons: { type: 'array', items: { $ref: '#/components/schemas/Reason' } },
          auditSeq: { type: 'integer' },
        },
      },
      Approval: {
        type: 'object',
        required: ['approverId', 'expiresAt', 'signature'],
        properties: { approverId: { type: 'string' }, expiresAt: { type: 'integer', description: 'unix seconds' }, signature: { ...hex, description: 'ES256 (DER) or Ed25519 signature over the canonical CBOR statement' } },
      },
    },
    responses: { Error: { description: 'Typed error', content: json({ $ref: '#/components/schemas/Error' }) } },
  },
  paths: {
    '/healthz': { get: { summary: 'Appliance readiness', responses: { 200: ok('ready'), 503: ok('appliance not reachable') } } },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: ok('OpenAPI document') } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/v1/keys': {
      get: { summary: 'List keys (orchestrator)', security: bearer, responses: { 200: ok('keys'), 401: err, 403: err } },
      post: {
        summary: 'Generate a secp256k1 key inside the token (admin)',
        security: bearer,
        requestBody: { required: true, content: json({ type: 'object', required: ['label', 'group'], properties: { label: { type: 'string' }, group: { type: 'string' } } }) },
        responses: { 201: ok('the key'), 400: err, 401: err, 403: err },
      },
    },
    '/v1/keys/{keyId}': { get: { summary: 'One key with its attestation certificate and PKCS#11 protection attributes (orchestrator)', security: bearer, parameters: [pathParam('keyId', 'key id')], responses: { 200: ok('the key'), 404: err } } },
    '/v1/sign/evm-transaction': {
      post: {
        summary: 'Sign an EVM transaction if the active policy allows it (orchestrator)',
        security: bearer,
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' }, description: 'a retry with the same key returns the same result and never signs twice' }],
        requestBody: { required: true, content: json({ type: 'object', required: ['keyId', 'transaction'], properties: { keyId: { type: 'string' }, transaction: { $ref: '#/components/schemas/Transaction' } } }) },
        responses: {
          200: ok('signed', { $ref: '#/components/schemas/SignResult' }),
          202: ok('pending approval: sign the statement and POST it to /v1/requests/{id}/approvals', { $ref: '#/components/schemas/SignResult' }),
          403: ok('denied by policy, with reasons', { $ref: '#/components/schemas/SignResult' }),
          400: err,
          401: err,
          404: err,
          409: ok('idempotency key reused for another request, or a request that was aborted'),
        },
      },
    },
    '/v1/sign/typed-data': {
      post: {
        summary: 'Sign EIP-712 typed data (orchestrator): the domain must be allowlisted for the key group; Permit and Permit2 are judged like allowances',
        security: bearer,
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } }],
        requestBody: { required: true, content: json({ type: 'object', required: ['keyId', 'typedData'], properties: { keyId: { type: 'string' }, typedData: { type: 'object', description: '{ types, primaryType, domain, message }; large integers as decimal strings' } } }) },
        responses: { 200: ok('signed: digest, 65-byte signature (r||s||v), yParity'), 403: ok('denied, with reasons'), 400: err, 409: err },
      },
    },
    '/v1/requests/{id}': { get: { summary: 'State of a sign request (orchestrator)', security: bearer, parameters: [pathParam('id', 'the Idempotency-Key')], responses: { 200: ok('signed', { $ref: '#/components/schemas/SignResult' }), 202: ok('pending'), 403: ok('denied'), 404: err } } },
    '/v1/requests/{id}/approvals': {
      post: {
        summary: 'Add an approval (approver); signs the request once the quorum is met',
        security: bearer,
        parameters: [pathParam('id', 'the Idempotency-Key')],
        requestBody: { required: true, content: json({ $ref: '#/components/schemas/Approval' }) },
        responses: { 200: ok('signed', { $ref: '#/components/schemas/SignResult' }), 202: ok('still pending'), 403: ok('approval rejected (requester, unknown, expired, bad signature) or request denied'), 404: err, 409: err },
      },
    },
    '/v1/whitelist': { get: { summary: 'Whitelist entries with their holds (orchestrator)', security: bearer, parameters: [queryInt('limit', 'page size (max 1000)'), queryInt('offset', 'offset')], responses: { 200: ok('entries') } } },
    '/v1/whitelist/proposals': {
      post: {
        summary: 'Propose a whitelist entry (admin); it needs the admin quorum, then waits its hold',
        security: bearer,
        requestBody: { required: true, content: json({ type: 'object', required: ['group', 'chainId', 'address'], properties: { group: { type: 'string' }, chainId: uint, address, label: { type: 'string' } } }) },
        responses: { 201: ok('the proposal, with the statement admins sign'), 400: err },
      },
    },
    '/v1/whitelist/proposals/{id}/approvals': {
      post: {
        summary: 'Add an admin approval to a whitelist proposal (admin)',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: { required: true, content: json({ type: 'object', required: ['adminId', 'expiresAt', 'signature'], properties: { adminId: { type: 'string' }, expiresAt: { type: 'integer' }, signature: hex } }) },
        responses: { 200: ok('the proposal'), 403: err, 404: err },
      },
    },
    '/v1/whitelist/proposals/{id}/cancel': {
      post: {
        summary: 'Admin approval to cancel an accepted entry still in its hold (admin); at the admin quorum the entry is removed',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: { required: true, content: json({ type: 'object', required: ['adminId', 'expiresAt', 'signature'], properties: { adminId: { type: 'string' }, expiresAt: { type: 'integer' }, signature: hex } }) },
        responses: { 200: ok('cancel state'), 403: err, 409: err },
      },
    },
    '/v1/whitelist/{chainId}/{address}': {
      delete: { summary: 'Remove an address at once (admin)', security: bearer, parameters: [pathParam('chainId', 'chain id'), pathParam('address', '0x address'), { name: 'group', in: 'query', required: false, schema: { type: 'string' } }], responses: { 200: ok('removed'), 404: err } },
    },
    '/v1/policy/proposals': {
      post: {
        summary: 'Propose the next policy version (admin): JSON policy (version, parent and device are filled in) or a canonical CBOR document; it needs the admin quorum, then the time lock, unless it only tightens',
        security: bearer,
        requestBody: { required: true, content: json({ type: 'object', properties: { policy: { type: 'object', description: 'same format as DEMO-policy.json' }, document: { ...hex, description: 'canonical CBOR policy document' } } }) },
        responses: { 201: ok('the proposal, its changes, and the statement admins sign'), 400: err, 409: err },
      },
    },
    '/v1/policy/proposals/{id}': { get: { summary: 'A policy proposal with its diff and approvals (auditor)', security: bearer, parameters: [pathParam('id', 'proposal id')], responses: { 200: ok('proposal'), 404: err } } },
    '/v1/policy/proposals/{id}/approvals': {
      post: {
        summary: 'Admin approval of a policy proposal (admin); the proposer\'s own does not count',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: { required: true, content: json({ type: 'object', required: ['adminId', 'expiresAt', 'signature'], properties: { adminId: { type: 'string' }, expiresAt: { type: 'integer' }, signature: hex } }) },
        responses: { 200: ok('proposal'), 403: err, 404: err },
      },
    },
    '/v1/policy/proposals/{id}/cancel': {
      post: {
        summary: 'Cancel a pending or scheduled change (admin, one signature over the cancel statement)',
        security: bearer,
        parameters: [pathParam('id', 'proposal id')],
        requestBody: { required: true, content: json({ type: 'object', required: ['adminId', 'expiresAt', 'signature'], properties: { adminId: { type: 'string' }, expiresAt: { type: 'integer' }, signature: hex } }) },
        responses: { 200: ok('proposal'), 403: err, 409: err },
      },
    },
    '/v1/policy/proposals/{id}/activate': { post: { summary: 'Activate a scheduled change whose time lock has passed (admin; the appliance also does it by itself)', security: bearer, parameters: [pathParam('id', 'proposal id')], responses: { 200: ok('proposal'), 409: err } } },
    '/v1/policy/versions/{v}/diff': {
      get: {
        summary: 'Readable diff of policy version v against v-1 or ?against= (auditor); Accept: text/markdown for Markdown',
        security: bearer,
        parameters: [pathParam('v', 'version'), queryInt('against', 'base version (default v-1)')],
        responses: { 200: ok('changes, stricter flag, markdown'), 404: err },
      },
    },
    '/v1/policy': { get: { summary: 'The active policy (auditor)', security: bearer, responses: { 200: ok('policy') } } },
    '/v1/audit/export': {
      get: {
        summary: 'Stream audit entries from a seq (auditor): application/cbor-seq of COSE_Sign1 entries (RFC 8742), or JSON Lines for SIEMs',
        security: bearer,
        parameters: [queryInt('fromSeq', 'first seq (default 1)'), { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['cbor-seq', 'jsonl'] } }],
        responses: { 200: { description: 'the stream', content: { 'application/cbor-seq': { schema: { type: 'string', format: 'binary' } }, 'application/jsonl': { schema: { type: 'string' } } } }, 400: err },
      },
    },
    '/v1/events': {
      get: {
        summary: 'Server-sent events (any token): whitelist hold started/ended/cancelled, approval needed, policy proposed/scheduled/activated/cancelled, signed, denied; derived from the attested log (notifications, not proof)',
        description:
          "Each event derives from one audit entry, by its kind and outcome: every decision entry (request.approve, sign.evm-tx, sign.typed-data…) yields approval.needed, sign.denied or sign.signed with { requestId, kind, requester, keyId, intentDigest | typedDataDigest, primaryType, reasons | txHash, approvedBy }. whitelist.hold_ended (reason 'elapsed' or 'removed') means the entry became active or was removed in its hold; an entry cancelled in its hold yields whitelist.cancelled and never hold_ended. The SSE id is a position in the audit log: '<seq>' (or '<seq>.<k>' for an entry's k-th further event), '<seq>~<proposalId>' for a hold that elapsed after entry <seq>; so Last-Event-ID survives a bridge restart (missed entries are read from the log again, at most the last 10 000 entries; holds that elapsed while no bridge ran are not replayed). A token whose only scope is orchestrator sees the events of its own principal's requests; any other scope sees the whole feed.",
        security: bearer,
        parameters: [{ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^[0-9]{1,15}(\\.[0-9]{1,5}|~[A-Za-z0-9._-]{1,64})?$' }, description: 'resume after this event id (an audit position)' }],
        responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 401: err, 403: err },
      },
    },
    '/v1/device': { get: { summary: 'Device identity: certificates, attestation key, measurements, and `sealed` { ok, findings } (whether the sealed state and the clock let the device act) (auditor)', security: bearer, responses: { 200: ok('device') } } },
    '/v1/device/attestation': {
      get: {
        summary: 'Attestation quote (auditor): a COSE_Sign1 by the device key over device id, measurement, policy hash, log head, time and the challenge',
        security: bearer,
        parameters: [{ name: 'challenge', in: 'query', required: true, schema: hex, description: '8 to 64 random bytes, 0x hex' }],
        responses: { 200: ok('{ quote, deviceCertificate }'), 400: err },
      },
    },
    '/v1/firmware/approvals': {
      post: {
        summary: 'Admin approval of a new firmware measurement (admin); at quorum the device signs again',
        security: bearer,
        requestBody: { required: true, content: json({ type: 'object', required: ['measurement', 'adminId', 'expiresAt', 'signature'], properties: { measurement: hex, adminId: { type: 'string' }, expiresAt: { type: 'integer' }, signature: hex } }) },
        responses: { 200: ok('approval state'), 403: err },
      },
    },
    '/v1/audit': { get: { summary: 'Audit entries from a seq (auditor)', security: bearer, parameters: [queryInt('fromSeq', 'first seq'), queryInt('limit', 'page size (max 1000)')], responses: { 200: ok('entries: stored COSE_Sign1 bytes, their hash and the decoded payload') } } },
  },
} as const;
