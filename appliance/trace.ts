// Carries the caller's trace id (from the bridge) through a command, so each audit entry names it
// without every handler passing it along.
import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<{ traceId: string | null }>();

export function withTrace<T>(traceId: string | null, fn: () => T): T {
  return store.run({ traceId }, fn);
}

export function currentTraceId(): string | null {
  return store.getStore()?.traceId ?? null;
}
