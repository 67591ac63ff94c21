// Periodic jobs of the custody service (the chain watcher's step, reconciliation...), run by one
// JobRunner on an injected Scheduler: the real one uses timers, tests use ManualScheduler and move its
// clock, so no test waits on the wall clock. A job runs again `everyMs` after its previous run ended
// (runs of one job never overlap); a failing run is recorded and reported, and the job keeps its
// schedule. `stop` cancels the timers and waits for the runs in flight.

/** Time and timers, injected. */
export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface JobContext {
  /** The scheduler's time when the run started. */
  now: number;
  /** Aborted when the runner stops: a long run should end early. */
  signal: AbortSignal;
}

export interface Job {
  /** Unique among the runner's jobs, e.g. `watcher:31337` or `reconcile`. */
  name: string;
  everyMs: number;
  /** Run once right at start instead of after the first interval. */
  runAtStart?: boolean;
  run(ctx: JobContext): Promise<void>;
}

export interface JobStatus {
  name: string;
  everyMs: number;
  runs: number;
  failures: number;
  running: boolean;
  lastStartedAt: number | null;
  lastEndedAt: number | null;
  /** The last failed run's error message (typed errors carry no secret), cleared by a success. */
  lastError: string | null;
}

export class JobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobError';
  }
}

interface Slot {
  job: Job;
  status: JobStatus;
  timer: unknown;
  inFlight: Promise<void> | null;
}

export class JobRunner {
  private readonly slots = new Map<string, Slot>();
  private started = false;
  private stopped = false;
  private readonly abort = new AbortController();

  /**
   * `onError` hears each failed run; `describeError` makes the `lastError` text /healthz shows (the
   * service passes one that removes configured secrets such as RPC URLs with API keys).
   */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly onError: (job: string, err: unknown) => void = () => {},
    private readonly describeError: (err: unknown) => string = (err) => (err instanceof Error ? err.message : String(err)),
  ) {}

  add(job: Job): void {
    if (this.slots.has(job.name)) throw new JobError(`a job named "${job.name}" is registered already`);
    if (!Number.isSafeInteger(job.everyMs) || job.everyMs <= 0) throw new JobError(`job "${job.name}": everyMs must be a positive integer`);
    if (this.stopped) throw new JobError('the runner is stopped');
    const slot: Slot = {
      job,
      status: { name: job.name, everyMs: job.everyMs, runs: 0, failures: 0, running: false, lastStartedAt: null, lastEndedAt: null, lastError: null },
      timer: null,
      inFlight: null,
    };
    this.slots.set(job.name, slot);
    if (this.started) this.arm(slot, job.runAtStart ? 0 : job.everyMs);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const slot of this.slots.values()) this.arm(slot, slot.job.runAtStart ? 0 : slot.job.everyMs);
  }

  /** Each job's counters, in registration order. */
  status(): JobStatus[] {
    return [...this.slots.values()].map((s) => ({ ...s.status }));
  }

  /** Runs a job now (an operator's "run reconciliation now"); waits for a run already in flight instead of starting a second. */
  async runNow(name: string): Promise<JobStatus> {
    const slot = this.slots.get(name);
    if (!slot) throw new JobError(`no job named "${name}"`);
    if (slot.inFlight) await slot.inFlight;
    else {
      if (slot.timer !== null) this.scheduler.clearTimer(slot.timer);
      slot.timer = null;
      await this.runSlot(slot);
    }
    return { ...slot.status };
  }

  /** Resolves when no run is in flight (tests: after moving the clock). */
  async settled(): Promise<void> {
    for (;;) {
      const busy = [...this.slots.values()].map((s) => s.inFlight).filter((p): p is Promise<void> => p !== null);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const slot of this.slots.values()) {
      if (slot.timer !== null) this.scheduler.clearTimer(slot.timer);
      slot.timer = null;
    }
    await this.settled();
  }

  private arm(slot: Slot, ms: number): void {
    if (this.stopped) return;
    slot.timer = this.scheduler.setTimer(() => {
      slot.timer = null;
      void this.runSlot(slot);
    }, ms);
  }

  /** Starts a run at once (the job's own code begins synchronously); the promise settles when it ends. */
  private runSlot(slot: Slot): Promise<void> {
    const s = slot.status;
    s.running = true;
    s.lastStartedAt = this.scheduler.now();
    let done!: () => void;
    const inFlight = new Promise<void>((resolve) => (done = resolve));
    slot.inFlight = inFlight;
    void (async () => {
      try {
        await slot.job.run({ now: s.lastStartedAt!, signal: this.abort.signal });
        s.lastError = null;
      } catch (err) {
        s.failures++;
        s.lastError = this.describeError(err);
        try {
          this.onError(slot.job.name, err);
        } catch {
          // a failing reporter does not stop the job's schedule
        }
      } finally {
        s.runs++;
        s.running = false;
        s.lastEndedAt = this.scheduler.now();
        slot.inFlight = null;
        if (this.started) this.arm(slot, slot.job.everyMs);
        done();
      }
    })();
    return inFlight;
  }
}

/** A scheduler whose clock moves only when told: `advance(ms)` fires the timers that fall due, in time order. */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting to fire. */
  pending(): number {
    return this.timers.size;
  }

  /** Moves the clock forward by `ms`, firing each due timer at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
}
