import type { SnapshotArrays } from './snapshot.ts';

/** One association rule anchor → item (serving/fbt.ts), as stored in a snapshot. */
export interface RuleOf {
  item: number;
  /** Baskets holding both. */
  support: number;
  /** P(item | anchor). */
  confidence: number;
  /** confidence / P(item): above 1 = bought together more often than by chance. */
  lift: number;
}

type FbtArrays = Pick<SnapshotArrays, 'fbtPtr' | 'fbtItem' | 'fbtConf' | 'fbtLift' | 'fbtSupport'>;

/** The rules anchor → j, most confident first (as stored), skipping items `keep` rejects. */
export function rulesOf(a: FbtArrays, anchor: number, keep: (i: number) => boolean = () => true): RuleOf[] {
  const out: RuleOf[] = [];
  for (let q = a.fbtPtr[anchor]!; q < a.fbtPtr[anchor + 1]!; q++) {
    const j = a.fbtItem[q]!;
    if (keep(j)) out.push({ item: j, support: a.fbtSupport[q]!, confidence: a.fbtConf[q]!, lift: a.fbtLift[q]! });
  }
  return out;
}

/** Confidence of the rule i → j, 0 when there is none. */
function confidence(a: FbtArrays, i: number, j: number): number {
  for (let q = a.fbtPtr[i]!; q < a.fbtPtr[i + 1]!; q++) if (a.fbtItem[q] === j) return a.fbtConf[q]!;
  return 0;
}

/**
 * A bundle suggestion around an anchor product: up to `size` items, the anchor first. Greedy:
 * each step adds, among the anchor's consequents that `keep` accepts, the item with the largest
 * sum of confidences from the items already in the bundle (so the third item goes with both
 * others, not only with the anchor); ties by the anchor rule's lift. `together[k]` is that sum
 * for item k (1 for the anchor).
 */
export function suggestBundle(a: FbtArrays, anchor: number, size: number, keep: (i: number) => boolean = () => true): { items: number[]; together: number[] } {
  const items = [anchor], together = [1];
  const candidates = rulesOf(a, anchor, (j) => j !== anchor && keep(j));
  while (items.length < size && candidates.length) {
    let best = -1, bestScore = -1, bestLift = -1;
    candidates.forEach((r, k) => {
      let s = 0;
      for (const b of items) s += b === anchor ? r.confidence : confidence(a, b, r.item);
      if (s > bestScore || (s === bestScore && r.lift > bestLift)) {
        best = k;
        bestScore = s;
        bestLift = r.lift;
      }
    });
    const [r] = candidates.splice(best, 1);
    items.push(r!.item);
    together.push(bestScore);
  }
  return { items, together };
}
