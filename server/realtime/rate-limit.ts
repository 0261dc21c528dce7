import { LRUCache } from 'lru-cache';

// A token bucket per connection: `burst` frames at once, refilled at `perSecond`. Cheap enough to
// run on every frame; one noisy client is slowed down without touching anyone else.
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly perSecond: number, private readonly burst: number, now = Date.now()) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}

/**
 * One bucket per key shared by every connection of this node: a visitor's messages are counted
 * across all their tabs, so opening ten sockets does not buy ten budgets. Keys idle long enough to
 * have refilled are forgotten (a fresh bucket is full anyway).
 */
export class KeyedBuckets {
  private readonly buckets: LRUCache<string, TokenBucket>;

  constructor(private readonly perSecond: number, private readonly burst: number, maxKeys = 100_000) {
    this.buckets = new LRUCache({ max: maxKeys, ttl: Math.ceil((burst / perSecond) * 1000) + 1000, updateAgeOnGet: true });
  }

  /** Takes one token of `key`'s bucket; 0 when allowed, else the milliseconds to wait. */
  take(key: string, now = Date.now()): number {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.perSecond, this.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now);
  }
}
