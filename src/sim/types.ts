/** Public types of the simulator. */

export interface SimOptions {
  users: number;
  days: number;
  seed: number;
  /** ISO date, default '2026-01-01' */
  startDate?: string;
  /** default max(50, users/5) capped at 20000 */
  products?: number;
}

export interface SegmentMessage {
  type: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
  messageId: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
  /** ISO 8601 */
  timestamp: string;
  previousId?: string;
  groupId?: string;
}

export interface GroundTruth {
  users: Array<{
    userId: string;
    community: number;
    /** category -> weight, sums to 1 */
    tastes: Record<string, number>;
    isKol: boolean;
    churnDay: number | null;
  }>;
  products: Array<{ productId: string; name: string; category: string; brand: string; price: number; popularityRank: number }>;
  categories: string[];
}
