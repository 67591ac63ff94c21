// `make soak`: a steady load at half the measured capacity for SOAK_SECONDS (default 600) through the
// HTTP bridge in front of the real appliance, from this separate process. Reports the error rate, the
// drift of p99 latency (last minute against the first) and the appliance's RSS growth (after warm-up).
// The bar: 0 errors, p99 drift ≤ 20%, RSS growth ≤ 10%.
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { startBridge } from '../host-bridge/main.js';
import { addToken } from '../host-bridge/auth.js';
import { percentile, trendChange } from '../bench/stats.js';
import { startLoadDevice } from './load-device.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const WINDOW = Math.max(5, Math.min(60, Math.floor(SECONDS / 5)));
const say = (m: string) => process.stderr.write(`soak: ${m}\n`);
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

async function main(): Promise<void> {
  const to = new Uint8Array(20).fill(0x55);
  const dev = await startLoadDevice('soak', to);
  const { varRoot, paths, keyId, app } = dev;
  const token = addToken(paths.bridgeTokens, 'soak', ['orchestrator'], 'soak');
  const bridge = await startBridge({ socketPath: paths.socket, tokensFile: paths.bridgeTokens, host: '127.0.0.1', port: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let nonce = 0;
  let transportRetries = 0;
  const post = (body: string, key: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${bridge.url}/v1/sign/evm-transaction`,
        { method: 'POST', agent, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': key, 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  /** One signed transfer; a transport error (a kept-alive socket closed by the server) is retried once with the same idempotency key, which the appliance makes safe. */
  const one = async (): Promise<number> => {
    const n = nonce++;
    const body = JSON.stringify({
      keyId,
      transaction: { type: 'eip1559', chainId: 31337, nonce: n, to: '0x' + '55'.repeat(20), value: '1000', gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
    });
    const t0 = performance.now();
    let status: number;
    try {
      status = await post(body, `soak-${n}`);
    } catch {
      transportRetries++;
      status = await post(body, `soak-${n}`).catch(() => -1);
    }
    return status === 200 ? performance.now() - t0 : -1;
  };

  // Capacity: closed loop at concurrency 16 for a few seconds.
  let done = 0;
  const until = performance.now() + 5000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) if ((await one()) >= 0) done++;
    }),
  );
  const capacity = done / 5;
  const rate = capacity / 2;
  say(`capacity ${capacity.toFixed(0)}/s; soaking at ${rate.toFixed(0)}/s for ${SECONDS} s (windows of ${WINDOW} s)`);

  // Open loop at `rate`: requests start on schedule whatever the latency.
  const windows: { lat: number[]; errors: number; rssKb: number }[] = [];
  let errors = 0;
  let sent = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  while (performance.now() - start < SECONDS * 1000) {
    const w = Math.floor((performance.now() - start) / (WINDOW * 1000));
    while (windows.length <= w) windows.push({ lat: [], errors: 0, rssKb: rss(app.child.pid!) });
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      sent++;
      const win = windows[w]!;
      inflight.push(one().then((ms) => (ms < 0 ? (win.errors++, errors++) : win.lat.push(ms), undefined)));
    }
    await new Promise((r) => setTimeout(r, 5));
    if (inflight.length > 10_000) await Promise.all(inflight.splice(0, inflight.length));
  }
  await Promise.all(inflight);
  const finalRss = rss(app.child.pid!);
  agent.destroy();
  await bridge.close();
  await app.stop();
  rmSync(varRoot, { recursive: true, force: true });

  const full = windows.filter((w) => w.lat.length > 0);
  const p99 = (w: { lat: number[] }) =>
    percentile(
      [...w.lat].sort((a, b) => a - b),
      99,
    );
  process.stdout.write('window | requests | errors | p50 ms | p99 ms | appliance RSS MB\n');
  full.forEach((w, i) => {
    const sorted = [...w.lat].sort((a, b) => a - b);
    process.stdout.write(
      `${String(i + 1).padStart(6)} | ${String(w.lat.length + w.errors).padStart(8)} | ${String(w.errors).padStart(6)} | ${percentile(sorted, 50).toFixed(2).padStart(6)} | ${percentile(sorted, 99).toFixed(2).padStart(6)} | ${(w.rssKb / 1024).toFixed(1)}\n`,
    );
  });
  // Drift and growth are measured after the first window (warm-up: JIT, caches, SQLite pages).
  // The drift is the trend of the per-window p99 (least squares over the windows after warm-up), so one
  // noisy minute on a shared machine does not decide it; the plain last-versus-first change is printed too.
  const base = full[1] ?? full[0]!;
  const last = full[full.length - 1]!;
  const steady = full.length > 2 ? full.slice(1) : full;
  const drift = trendChange(steady.map(p99));
  const endToEnd = (p99(last) - p99(base)) / p99(base);
  const growth = (finalRss - base.rssKb) / base.rssKb;
  process.stdout.write(`p99 last window against the first after warm-up: ${(endToEnd * 100).toFixed(1)}%\n`);
  const line = `duration: ${SECONDS} s, rate: ${rate.toFixed(0)}/s, requests: ${sent}, errors: ${errors} (transport retries ${transportRetries}), p99 drift: ${(drift * 100).toFixed(1)}%, RSS growth: ${(growth * 100).toFixed(1)}%`;
  process.stdout.write(line + '\n');
  if (errors > 0 || drift > 0.2 || growth > 0.1) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
