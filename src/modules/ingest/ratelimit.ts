/** Per-workspace token bucket in events per second (burst: one second's worth). In-process. */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly defaultRate: number) {}

  /** Takes `n` tokens, or returns the seconds to wait before a retry could succeed. */
  take(workspaceId: string, n: number, rate = this.defaultRate): { ok: true } | { ok: false; retryAfter: number } {
    const now = Date.now();
    const b = this.buckets.get(workspaceId) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(workspaceId, b);
    if (b.tokens >= n || (n > rate && b.tokens >= rate)) {
      b.tokens -= n;
      return { ok: true };
    }
    return { ok: false, retryAfter: Math.max(1, Math.ceil((n - b.tokens) / rate)) };
  }
}
