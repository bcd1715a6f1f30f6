import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Memory measurement around a piece of work, sampled by `sample()` at heavy points (work that
 * blocks the event loop cannot be sampled by a timer):
 * - the resident set (RSS), plus the process's maxRSS, which catches a peak between samples when
 *   it is a new high for the process. RSS growth under-counts when the work reuses memory the
 *   process freed earlier;
 * - allocations: V8 heap in use + ArrayBuffer / SharedArrayBuffer bytes, which does not depend
 *   on what the allocator reuses.
 */
export class MemoryProbe {
  private readonly rss0: number;
  private readonly max0: number;
  private readonly alloc0: number;
  private peakRss: number;
  private peakAlloc: number;
  /** Use `MemoryProbe.start()`, which settles the heap first. */
  private constructor() {
    this.rss0 = process.memoryUsage.rss();
    this.max0 = process.resourceUsage().maxRSS * 1024;
    this.alloc0 = allocated();
    this.peakRss = this.rss0;
    this.peakAlloc = this.alloc0;
  }
  /**
   * Collects garbage and lets freed buffers be released (V8 frees ArrayBuffer memory on a
   * background thread) before taking the baseline.
   */
  static async start(): Promise<MemoryProbe> {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 50));
    collectGarbage();
    return new MemoryProbe();
  }

  sample = (): void => {
    const r = process.memoryUsage.rss();
    if (r > this.peakRss) this.peakRss = r;
    const a = allocated();
    if (a > this.peakAlloc) this.peakAlloc = a;
  };
  /** Bytes relative to the start: RSS growth now and at the peak, allocation growth at the peak. */
  finish(): { rssDelta: number; peakDelta: number; peakAllocDelta: number } {
    this.sample();
    const max1 = process.resourceUsage().maxRSS * 1024;
    const peak = max1 > this.max0 ? Math.max(this.peakRss, max1) : this.peakRss;
    return { rssDelta: process.memoryUsage.rss() - this.rss0, peakDelta: peak - this.rss0, peakAllocDelta: this.peakAlloc - this.alloc0 };
  }
}

function allocated(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

let gc: (() => void) | undefined | null = null;

/** Runs a full garbage collection when the runtime allows it (so measurements start clean). */
export function collectGarbage(): void {
  if (gc === null) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = undefined;
    }
  }
  gc?.();
}
