// metrics (protocol/commands/metrics.ts): the in-memory activity counters (appliance/device-metrics.ts)
// with the audit head, the sealed state and the active policy version, the process's CPU time and the
// time per stage of the signing path (appliance/stage-timers.ts).
import type { MetricsArgs, MetricsResult } from '../../protocol/commands/metrics.js';
import type { Device } from '../device.js';

export async function metrics(dev: Device, _args: MetricsArgs): Promise<MetricsResult> {
  const sealed = dev.sealed.status();
  const cpu = process.cpuUsage();
  return {
    deviceId: dev.config.deviceId,
    ...dev.metrics.snapshot(),
    auditHeadSeq: dev.audit.head().seq,
    sealedOk: sealed.ok,
    sealedFindings: sealed.findings.length,
    policyVersion: dev.policies.hasPolicy() ? dev.policies.current().doc.version : null,
    cpuMicros: { user: cpu.user, system: cpu.system },
    stages: dev.stages.snapshot(),
  };
}
