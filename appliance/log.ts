// Structured log lines (JSON) on stderr. Callers pass only non-secret fields: never a PIN, key
// material, share or approval secret; error causes are reduced to their name or PKCS#11 code.
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = ORDER[(process.env.HSM_LOG_LEVEL as Level | undefined) ?? 'info'] ?? ORDER.info;

export function log(level: Level, msg: string, fields: Record<string, string | number | boolean | null> = {}): void {
  if (ORDER[level] < threshold) return;
  process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields }) + '\n');
}
