// Reads the deployment files of deploy/systemd/ for the tests: a unit's [Service] settings and its
// ExecStart with ${VAR}s expanded from its Environment= lines, and the entries of the sysusers.d and
// tmpfiles.d files. Only the syntax those files use is understood (no quoting, no specifiers).
import { readFileSync } from 'node:fs';

export interface Unit {
  /** Every key of every section, in order; a key given twice keeps both values. */
  get(section: string, key: string): string[];
  /** The one value of a key, or undefined. */
  one(section: string, key: string): string | undefined;
  environment(): Record<string, string>;
  /** ExecStart split on spaces, ${VAR} expanded from Environment= (overridden by `env`). */
  execStart(env?: Record<string, string>): string[];
}

export function readUnit(file: string): Unit {
  const entries: { section: string; key: string; value: string }[] = [];
  let section = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`${file}: not a key=value line: ${line}`);
    entries.push({ section, key: line.slice(0, eq), value: line.slice(eq + 1) });
  }
  const get = (s: string, k: string) => entries.filter((e) => e.section === s && e.key === k).map((e) => e.value);
  const unit: Unit = {
    get,
    one(s, k) {
      const all = get(s, k);
      if (all.length > 1) throw new Error(`${file}: ${k} given ${all.length} times`);
      return all[0];
    },
    environment() {
      const env: Record<string, string> = {};
      for (const v of get('Service', 'Environment')) {
        const eq = v.indexOf('=');
        env[v.slice(0, eq)] = v.slice(eq + 1);
      }
      return env;
    },
    execStart(overrides = {}) {
      const env = { ...unit.environment(), ...overrides };
      const line = unit.one('Service', 'ExecStart');
      if (line === undefined) throw new Error(`${file}: no ExecStart`);
      return line
        .split(/\s+/)
        .filter(Boolean)
        .map((word) =>
          word.replace(/\$\{([A-Z0-9_]+)\}/g, (_m, name: string) => {
            const value = env[name];
            if (value === undefined) throw new Error(`${file}: ExecStart uses \${${name}}, which no Environment= sets`);
            return value;
          }),
        );
    },
  };
  return unit;
}

/** The non-comment lines of a sysusers.d or tmpfiles.d file, split into fields. */
function fieldLines(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => (l.match(/"[^"]*"|\S+/g) ?? []).map((f) => f.replace(/^"|"$/g, '')));
}

export interface SysUsers {
  users: string[];
  groups: string[];
  /** [user, group] pairs of `m` lines. */
  members: [string, string][];
}

export function readSysusers(file: string): SysUsers {
  const out: SysUsers = { users: [], groups: [], members: [] };
  for (const [type, name, id] of fieldLines(file)) {
    if (type === 'u') out.users.push(name!);
    else if (type === 'g') out.groups.push(name!);
    else if (type === 'm') out.members.push([name!, id!]);
    else throw new Error(`${file}: line type ${type} is not understood here`);
  }
  return out;
}

export interface TmpfilesDir {
  path: string;
  mode: number;
  user: string;
  group: string;
}

export function readTmpfiles(file: string): TmpfilesDir[] {
  return fieldLines(file).map(([type, path, mode, user, group]) => {
    if (type !== 'd') throw new Error(`${file}: line type ${type} is not understood here`);
    return { path: path!, mode: parseInt(mode!, 8), user: user!, group: group! };
  });
}
