// End-to-end: the bridge's GET /metrics with a real appliance (SoftHSM2 token, own process). A signed,
// a denied and a pending request, then the pending one approved and signed: the appliance's counters
// by command and rule, its HSM latency and group-commit histograms, audit head and sealed state show
// in the scrape beside the bridge's own request durations in seconds, and promtool accepts the text.
// With the appliance stopped, the scrape still answers, with hsm_appliance_up 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { advanceDeviceTime, approvalBody, CHAIN_ID, ETH, startTestDevice, whitelist, type TestDevice } from '../helpers/test-device.js';
import { parseSamples, promtoolCheck, sampleValue, type Sample } from '../helpers/prometheus-text.js';

let dev: TestDevice;
let keyId: string;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;

const tx = (to: string, value: bigint, nonce: number) => ({
  type: 'eip1559',
  chainId: CHAIN_ID,
  nonce,
  to,
  value: value.toString(),
  gasLimit: 21000,
  maxFeePerGas: '20000000000',
  maxPriorityFeePerGas: '1000000000',
  data: '0x',
});

const sign = (body: unknown, key: string) => dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: body }, { 'Idempotency-Key': key });

async function scrape(): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const res = await dev.app.request('/metrics');
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, samples: parseSamples(text), contentType: res.headers.get('Content-Type') };
}

async function assertPromtoolAccepts(text: string): Promise<void> {
  const { code, output } = await promtoolCheck(text);
  assert.equal(output, '', 'promtool reports no problem');
  assert.equal(code, 0);
}

describe('GET /metrics with a real appliance', () => {
  before(async () => {
    dev = await startTestDevice();
    keyId = String(dev.keys[0]?.keyId);
    await whitelist(dev, recipient);
    await advanceDeviceTime(dev, 2); // past the test policy's 2 s hold
  });

  after(async () => {
    await dev?.stop();
  });

  test('signed, denied and pending counts by rule, HSM latency, group commits, audit head and sealed state; promtool accepts the text', async () => {
    const before = await scrape();
    assert.equal(sampleValue(before.samples, 'hsm_appliance_up'), 1);
    assert.equal(sampleValue(before.samples, 'hsm_appliance_hsm_sign_duration_seconds_count'), 0);

    const signed = await sign(tx(recipient, ETH / 10n, 0), 'metrics-signed');
    assert.equal(signed.json.status, 'signed', JSON.stringify(signed.json));
    const denied = await sign(tx(stranger, ETH / 10n, 1), 'metrics-denied');
    assert.equal(denied.json.status, 'denied', JSON.stringify(denied.json));
    assert.deepEqual(
      (denied.json.reasons as { rule: string }[]).map((r) => r.rule),
      ['whitelist'],
    );
    const pending = await sign(tx(recipient, 2n * ETH, 1), 'metrics-pending');
    assert.equal(pending.json.status, 'pending_approval', JSON.stringify(pending.json));
    assert.deepEqual(
      (pending.json.reasons as { rule: string }[]).map((r) => r.rule),
      ['approval-tier'],
    );

    const mid = await scrape();
    assert.equal(mid.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const s = mid.samples;
    assert.equal(sampleValue(s, 'hsm_appliance_signed_total', { command: 'sign.evm-tx' }), 1);
    assert.equal(sampleValue(s, 'hsm_appliance_signed_total', { command: 'request.approve' }), undefined);
    assert.equal(sampleValue(s, 'hsm_appliance_denied_total', { rule: 'whitelist' }), 1);
    assert.equal(sampleValue(s, 'hsm_appliance_pending_total', { rule: 'approval-tier' }), 1);
    assert.deepEqual(
      s.filter((x) => x.name === 'hsm_appliance_denied_total' || x.name === 'hsm_appliance_pending_total').map((x) => `${x.name}:${x.labels.rule}`),
      ['hsm_appliance_denied_total:whitelist', 'hsm_appliance_pending_total:approval-tier'],
    );
    assert.equal(sampleValue(s, 'hsm_appliance_sign_failed_total'), 0);
    // One signature by the token: one latency observation, inside the +Inf bucket and with a positive sum.
    assert.equal(sampleValue(s, 'hsm_appliance_hsm_sign_duration_seconds_count'), 1);
    assert.equal(sampleValue(s, 'hsm_appliance_hsm_sign_duration_seconds_bucket', { le: '+Inf' }), 1);
    assert.ok(sampleValue(s, 'hsm_appliance_hsm_sign_duration_seconds_sum')! > 0);
    // One request at a time: the signed one committed twice (decision with its reservation, then the
    // signature), the denied and the pending one once each, one state change per commit.
    const delta = (name: string, labels?: Record<string, string>) => sampleValue(s, name, labels)! - sampleValue(before.samples, name, labels)!;
    assert.equal(delta('hsm_appliance_group_commit_size_count'), 4);
    assert.equal(delta('hsm_appliance_group_commit_size_sum'), 4);
    assert.equal(delta('hsm_appliance_group_commit_size_bucket', { le: '1' }), 4);
    // Persisted facts: the audit head is the one /healthz reports; the sealed state is intact.
    const health = (await (await dev.app.request('/healthz')).json()) as { auditHeadSeq: number; policyVersion: number };
    assert.equal(sampleValue(s, 'hsm_appliance_audit_head_seq'), health.auditHeadSeq);
    assert.equal(sampleValue(s, 'hsm_appliance_audit_head_seq'), Number(pending.json.auditSeq), 'the pending decision wrote the last entry');
    assert.equal(sampleValue(s, 'hsm_appliance_policy_version'), health.policyVersion);
    assert.equal(sampleValue(s, 'hsm_appliance_sealed_ok'), 1);
    assert.equal(sampleValue(s, 'hsm_appliance_tamper_findings'), 0);
    assert.equal(sampleValue(s, 'hsm_appliance_info', { device: dev.deviceId }), 1);
    // The bridge's own: requests by route and status, durations in seconds, and process metrics.
    const route = { method: 'POST', route: '/v1/sign/evm-transaction' };
    assert.equal(sampleValue(s, 'hsm_bridge_request_duration_seconds_count', { ...route, status: '200' }), 1);
    assert.equal(sampleValue(s, 'hsm_bridge_request_duration_seconds_count', { ...route, status: '403' }), 1);
    assert.equal(sampleValue(s, 'hsm_bridge_request_duration_seconds_count', { ...route, status: '202' }), 1);
    assert.equal(sampleValue(s, 'hsm_bridge_requests_total', { route: '/v1/sign/evm-transaction', status: '403' }), 1);
    assert.ok(sampleValue(s, 'hsm_bridge_request_duration_seconds_sum', { ...route, status: '200' })! < 60, 'durations are in seconds');
    assert.ok(sampleValue(s, 'process_resident_memory_bytes')! > 0);
    await assertPromtoolAccepts(mid.text);

    // The pending request approved by two approvers: signed by request.approve.
    const digest = String(pending.json.intentDigest);
    const [, bob, carol] = dev.people.approvers;
    for (const who of [bob!, carol!]) {
      const r = await dev.request('POST', '/v1/requests/metrics-pending/approvals', dev.tokens.approver, approvalBody(who, dev.deviceId, digest));
      assert.ok(r.status === 200 || r.status === 202, JSON.stringify(r.json));
    }
    const after = await scrape();
    assert.equal(sampleValue(after.samples, 'hsm_appliance_signed_total', { command: 'request.approve' }), 1);
    assert.equal(sampleValue(after.samples, 'hsm_appliance_signed_total', { command: 'sign.evm-tx' }), 1);
    assert.equal(sampleValue(after.samples, 'hsm_appliance_hsm_sign_duration_seconds_count'), 2);
    // bob's approval alone left it pending: counted again under approval-tier.
    assert.equal(sampleValue(after.samples, 'hsm_appliance_pending_total', { rule: 'approval-tier' }), 2);
    await assertPromtoolAccepts(after.text);
  });

  test('with the appliance stopped the scrape answers the bridge metrics and hsm_appliance_up 0; promtool accepts it', async () => {
    await dev.appliance.stop();
    const down = await scrape();
    assert.equal(sampleValue(down.samples, 'hsm_appliance_up'), 0);
    assert.equal(sampleValue(down.samples, 'hsm_appliance_audit_head_seq'), undefined);
    assert.ok(sampleValue(down.samples, 'hsm_bridge_requests_total', { route: '/metrics', status: '200' })! >= 1);
    await assertPromtoolAccepts(down.text);
  });
});
