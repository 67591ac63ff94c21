// Runs a step again and again: the next run is scheduled `intervalMs` after the previous one ends,
// through an injected scheduler (tests pass one they drive by hand; the service passes timers). A
// failed step is reported and the loop goes on; `stop` cancels the next run and waits for the current.

export interface Scheduler {
  /** Runs `fn` once after `ms`; the returned function cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

export const timerScheduler: Scheduler = {
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export interface LoopOptions<T> {
  step: () => Promise<T>;
  scheduler: Scheduler;
  intervalMs: number;
  onStep?: (result: T) => void;
  onError?: (err: unknown) => void;
}

export class StepLoop<T> {
  private cancel: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly opts: LoopOptions<T>) {}

  get active(): boolean {
    return !this.stopped;
  }

  /** Starts the loop: the first step runs at once (as soon as the scheduler fires). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.cancel = this.opts.scheduler.schedule(() => this.tick(), 0);
  }

  /** Stops the loop: no further step starts; resolves when a step under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
    await this.running;
  }

  private tick(): void {
    this.cancel = null;
    if (this.stopped) return;
    this.running = this.opts
      .step()
      .then((r) => this.opts.onStep?.(r))
      .catch((err: unknown) => this.opts.onError?.(err))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.cancel = this.opts.scheduler.schedule(() => this.tick(), this.opts.intervalMs);
      });
  }
}
