// The SDK's bridge client is held to the API description (host-bridge/openapi.ts): every route and
// method it calls is described, with each header, query parameter and body member it sends, and every
// member the description requires; its transaction and answer types name the schemas' members. The
// event-stream parser reads frames split anywhere across chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDocument } from '../../host-bridge/openapi.js';
import { sseFrame, type BridgeEvent } from '../../host-bridge/events.js';
import { CLIENT_ROUTES, parseEventStream, type BridgeTransaction, type SignAnswer } from '../../sdk/bridge-client.js';

type Schema = { type?: string; required?: string[]; properties?: Record<string, unknown>; $ref?: string; description?: string };
type Param = { name: string; in: string; required?: boolean };
type Op = { parameters?: Param[]; requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, { description: string }> };

const doc = openApiDocument as unknown as { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, Schema> } };

test('every route the client calls is described, with the headers, query and body members it sends', () => {
  for (const [name, route] of Object.entries(CLIENT_ROUTES)) {
    const op = doc.paths[route.path]?.[route.method];
    assert.ok(op, `${name}: ${route.method.toUpperCase()} ${route.path} is in the OpenAPI description`);
    const params = op.parameters ?? [];
    for (const h of route.headers)
      assert.ok(
        params.some((p) => p.in === 'header' && p.name === h),
        `${name}: header ${h} is described`,
      );
    for (const q of route.query)
      assert.ok(
        params.some((p) => p.in === 'query' && p.name === q),
        `${name}: query ${q} is described`,
      );
    // What the description requires, the client sends or can send.
    for (const p of params.filter((x) => x.required && x.in === 'header')) assert.ok((route.headers as readonly string[]).includes(p.name), `${name}: required header ${p.name}`);
    const schema = op.requestBody?.content['application/json']?.schema;
    if (route.body.length === 0) {
      assert.equal(schema, undefined, `${name}: the client sends no body and none is described`);
      continue;
    }
    assert.ok(schema?.properties, `${name}: a body schema with its members`);
    assert.deepEqual([...route.body].sort(), Object.keys(schema.properties).sort(), `${name}: the body members are the described ones`);
    for (const r of schema.required ?? []) assert.ok((route.body as readonly string[]).includes(r), `${name}: required member ${r}`);
  }
});

test("the client's transaction type has exactly the members of components.schemas.Transaction", () => {
  // A key missing here, or one the type lacks, fails to compile: the list is the type's keys.
  const members = { type: 0, chainId: 0, nonce: 0, gasLimit: 0, to: 0, value: 0, data: 0, gasPrice: 0, maxFeePerGas: 0, maxPriorityFeePerGas: 0, accessList: 0 } satisfies Record<
    keyof BridgeTransaction,
    0
  >;
  const schema = doc.components.schemas.Transaction!;
  assert.deepEqual(Object.keys(members).sort(), Object.keys(schema.properties!).sort());
  const optional = new Set(['data', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'accessList']);
  assert.deepEqual(
    Object.keys(members)
      .filter((k) => !optional.has(k))
      .sort(),
    [...schema.required!].sort(),
  );
});

test("the answer type's members and statuses are the documented answers' (components.schemas.Request), and the typed-data extras the typed-data route describes", () => {
  const members = {
    status: 0,
    requestId: 0,
    keyId: 0,
    from: 0,
    intentDigest: 0,
    rawTransaction: 0,
    txHash: 0,
    signature: 0,
    digest: 0,
    yParity: 0,
    required: 0,
    approvedBy: 0,
    reasons: 0,
    auditSeq: 0,
    fault: 0,
  } satisfies Record<keyof SignAnswer, 0>;
  const answers = (doc.components.schemas.Request as { oneOf: Schema[] }).oneOf;
  const described = new Set(answers.flatMap((a) => Object.keys(a.properties!)));
  // Every member the client reads is documented; what it leaves out is the approvers' statement, the
  // stored record (requester, times, approvals, travel-rule hash), the audit entry's bytes and a failure's words.
  assert.deepEqual(
    Object.keys(members).filter((k) => !described.has(k)),
    [],
  );
  const ignored = ['statement', 'requester', 'createdAt', 'createdAtIso', 'updatedAt', 'updatedAtIso', 'approvals', 'travelRuleHash', 'auditEntry', 'message'];
  assert.deepEqual(
    [...described].filter((k) => !(k in members) && !ignored.includes(k)),
    [],
  );
  const statuses = answers.map((a) => (a.properties!.status as { enum: string[] }).enum[0]!);
  const typed: SignAnswer['status'][] = ['signed', 'pending_approval', 'signing', 'denied', 'aborted', 'failed'];
  assert.deepEqual([...typed].sort(), [...new Set(statuses)].sort());
  const typedSigned = (doc.components.schemas.SignTypedDataAnswer as { oneOf: Schema[] }).oneOf[0]!;
  for (const k of ['signature', 'digest', 'yParity']) assert.ok(typedSigned.properties![k], `${k} is a typed-data answer member`);
});

test('the event-stream parser reads the bridge frames split at any byte, skipping comments and retry lines', async () => {
  const events: BridgeEvent[] = [
    { id: '7', type: 'approval.needed', seq: 7, time: 1, data: { requestId: 'r-1' } },
    { id: '8.1', type: 'sign.signed', seq: 8, time: 2, data: { requestId: 'r-1', txHash: '0xab' } },
  ];
  const text = `retry: 5000\n\n: keep-alive\n\n${events.map(sseFrame).join(': keep-alive\n\n')}`;
  const bytes = new TextEncoder().encode(text);
  for (const step of [1, 3, 17, bytes.length]) {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += step) c.enqueue(bytes.slice(i, i + step));
        c.close();
      },
    });
    const got: BridgeEvent[] = [];
    for await (const e of parseEventStream(body)) got.push(e);
    // The frames carry timeIso beside time (host-bridge/readable-json.ts).
    assert.deepEqual(
      got,
      events.map((e) => ({ ...e, timeIso: `1970-01-01T00:00:0${e.time}Z` })),
      `chunks of ${step}`,
    );
  }
});
