// A latency histogram in microseconds with < 1% relative error (log-linear buckets, as in
// HdrHistogram), small enough to send over IPC and mergeable across generator processes, so
// percentiles are computed over every message rather than averaged per process.

/** Exact buckets below 2^(SUB_BITS+1) µs, then 2^SUB_BITS buckets per power of two. */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
/** Values are clamped here (about 35 minutes): a latency that large is a failed run anyway. */
const MAX_VALUE = 2 ** 31 - 1;
const BUCKETS = (31 - SUB_BITS + 1) * SUB;

function indexOf(value: number): number {
  if (value < 2 * SUB) return value;
  const exponent = 31 - Math.clz32(value) - SUB_BITS;
  return (exponent + 1) * SUB + ((value >>> exponent) - SUB);
}

/** The highest value that falls in the bucket, so percentiles never understate. */
function upperBoundOf(index: number): number {
  if (index < 2 * SUB) return index;
  const exponent = Math.floor(index / SUB) - 1;
  const lower = ((index % SUB) + SUB) * 2 ** exponent;
  return lower + 2 ** exponent - 1;
}

export interface HistogramData {
  /** [bucket index, count] for the non-empty buckets */
  buckets: [number, number][];
  count: number;
  maxUs: number;
  sumUs: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

export class LatencyHistogram {
  // A flat array: recording is an index computation and an increment, no allocation, because the
  // generator records on its hot path and its own pauses would show up as latency.
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  maxUs = 0;
  sumUs = 0;

  record(latencyMs: number): void {
    const us = Math.min(MAX_VALUE, Math.max(0, Math.round(latencyMs * 1000)));
    this.counts[indexOf(us)]! += 1;
    this.count += 1;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(data: HistogramData): void {
    for (const [index, count] of data.buckets) this.counts[index]! += count;
    this.count += data.count;
    this.sumUs += data.sumUs;
    this.maxUs = Math.max(this.maxUs, data.maxUs);
  }

  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    this.counts.forEach((count, index) => { if (count > 0) buckets.push([index, count]); });
    return { buckets, count: this.count, maxUs: this.maxUs, sumUs: this.sumUs };
  }

  /** The latency (ms) that `quantile` (0–1) of the recorded values do not exceed. */
  percentileMs(quantile: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(quantile * this.count));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index]!;
      if (seen >= rank) return Math.min(upperBoundOf(index), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50Ms: round(this.percentileMs(0.5)),
      p90Ms: round(this.percentileMs(0.9)),
      p99Ms: round(this.percentileMs(0.99)),
      p999Ms: round(this.percentileMs(0.999)),
      maxMs: round(this.maxUs / 1000),
      meanMs: round(this.count ? this.sumUs / this.count / 1000 : 0),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
