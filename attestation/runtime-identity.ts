// The runtime part of the firmware measurement: which Node runs the firmware. Node's version, the
// versions of the components built into it (V8, OpenSSL, libuv, zlib, ICU, the native-addon ABI
// `modules` and `napi` ...), the platform and the CPU architecture. A Node of another version, or
// one built against another OpenSSL, measures differently.
//
// The binary itself is not hashed (about 100 MB at every boot): its version strings name it, and the
// binary belongs to the platform image that starts the device (README, "Device identity and firmware").

/** Runtime facts by name, e.g. `node` → `v20.20.2`, `versions.openssl` → `3.0.19`. */
export type RuntimeIdentity = Readonly<Record<string, string>>;

/** The runtime this process runs on. */
export function currentRuntime(): RuntimeIdentity {
  const out: Record<string, string> = { node: process.version, platform: process.platform, arch: process.arch };
  for (const [name, version] of Object.entries(process.versions)) if (typeof version === 'string') out[`versions.${name}`] = version;
  return out;
}

/** One manifest line per fact, `runtime <name> <value>\n`, sorted by name. */
export function runtimeManifest(runtime: RuntimeIdentity): string {
  const names = Object.keys(runtime).sort();
  return names
    .map((name) => {
      const value = runtime[name]!;
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new TypeError(`runtime fact name ${JSON.stringify(name)} is not a plain name`);
      if (/[\r\n]/.test(value)) throw new TypeError(`runtime fact ${name} holds a line break`);
      return `runtime ${name} ${value}\n`;
    })
    .join('');
}
