// The HSM's own limit: secp256k1 ECDSA signatures per second straight through pkcs11js, on a pool of
// sessions with async C_Sign, no policy, no state, and the CPU each signature costs. Run as its own process.
// Usage: node dist/bench/raw-sign.js '<json: {var, device, count, concurrency, pool}>'
import { KeyStore } from '../appliance/keystore.js';
import { devicePaths, readDeviceConfig, readSecretFile } from '../softhsm-config/device-layout.js';

interface RawConfig {
  var: string;
  device: string;
  count: number;
  concurrency: number;
  pool: number;
}

async function main(cfg: RawConfig) {
  const paths = devicePaths(cfg.var, cfg.device);
  const config = readDeviceConfig(paths);
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const ks = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: cfg.pool });
  try {
    const [key] = await ks.listKeys();
    if (!key) throw new Error('no key on the bench token');
    const digest = new Uint8Array(32).fill(0x5a);
    for (let i = 0; i < 200; i++) await ks.signDigest(key.ckaId, digest); // warm-up
    let next = 0;
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await Promise.all(
      Array.from({ length: cfg.concurrency }, async () => {
        while (next++ < cfg.count) await ks.signDigest(key.ckaId, digest);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // SoftHSM2 signs inside this process (libuv's thread pool): its CPU per signature, the share of the
    // appliance's CPU per transfer that is the token's own work.
    const cpu = process.cpuUsage(cpuStarted);
    const cpuUsPerSig = Math.round(((cpu.user + cpu.system) / cfg.count) * 10) / 10;
    process.stdout.write(JSON.stringify({ mode: 'raw', count: cfg.count, seconds, per_s: Math.round((cfg.count / seconds) * 10) / 10, cpu_us_per_sig: cpuUsPerSig }) + '\n');
  } finally {
    ks.close();
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as RawConfig).catch((err: unknown) => {
  process.stderr.write(`raw-sign failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
