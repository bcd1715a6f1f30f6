import { simulate, type SegmentMessage } from '../../src/sim/index.ts';
import { inputFromMessages } from '../../src/flows/recommend-data.ts';
import type { CatalogItem, TrainingInput } from '../../src/modules/recommend/index.ts';

/** A small simulated shop (messages, catalog) and the training input built from it. */
export function simWorld(users = 300, days = 20, seed = 42): { messages: SegmentMessage[]; catalog: CatalogItem[]; input: TrainingInput; userIds: string[] } {
  const sim = simulate({ users, days, seed, startDate: '2026-01-01' }, 1000);
  const messages: SegmentMessage[] = [];
  for (const b of sim.batches()) messages.push(...b);
  const catalog = sim.truth.products.map((p) => ({ productId: p.productId, name: p.name, category: p.category, brand: p.brand, price: p.price }));
  return { messages, catalog, input: inputFromMessages('default', messages, catalog), userIds: sim.truth.users.map((u) => u.userId) };
}
