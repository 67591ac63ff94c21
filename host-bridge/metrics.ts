// Prometheus text exposition of the bridge's own counters and a latency histogram.
const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000];

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly buckets = new Map<string, number[]>();
  private readonly sums = new Map<string, number>();

  observe(route: string, status: number, ms: number): void {
    const key = `route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const b = this.buckets.get(route) ?? new Array<number>(BUCKETS_MS.length + 1).fill(0);
    let i = BUCKETS_MS.findIndex((le) => ms <= le);
    if (i < 0) i = BUCKETS_MS.length;
    b[i] = (b[i] ?? 0) + 1;
    this.buckets.set(route, b);
    this.sums.set(route, (this.sums.get(route) ?? 0) + ms);
  }

  render(): string {
    const lines = ['# HELP hsm_bridge_requests_total HTTP requests by route and status.', '# TYPE hsm_bridge_requests_total counter'];
    for (const [k, v] of this.requests) lines.push(`hsm_bridge_requests_total{${k}} ${v}`);
    lines.push('# HELP hsm_bridge_request_duration_ms Request latency in milliseconds.', '# TYPE hsm_bridge_request_duration_ms histogram');
    for (const [route, b] of this.buckets) {
      let cum = 0;
      BUCKETS_MS.forEach((le, i) => {
        cum += b[i] ?? 0;
        lines.push(`hsm_bridge_request_duration_ms_bucket{route="${route}",le="${le}"} ${cum}`);
      });
      cum += b[BUCKETS_MS.length] ?? 0;
      lines.push(`hsm_bridge_request_duration_ms_bucket{route="${route}",le="+Inf"} ${cum}`);
      lines.push(`hsm_bridge_request_duration_ms_sum{route="${route}"} ${this.sums.get(route) ?? 0}`);
      lines.push(`hsm_bridge_request_duration_ms_count{route="${route}"} ${cum}`);
    }
    return lines.join('\n') + '\n';
  }
}
