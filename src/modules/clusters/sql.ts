import type { Scaling } from './features.ts';

/**
 * A cluster condition as SQL over the computed-traits columns: the profile is a buyer
 * (orders ≥ 1, the population the model was fitted on) and cluster `index` is its nearest centre
 * on its *current* standardised features (the model's means and sds), with ties going to the
 * lower index as in `assignCluster`. Every number is bound through `param` (never spliced).
 */
export function clusterConditionSql(
  model: { features: Scaling[]; centers: number[][] },
  index: number,
  param: (v: number) => string,
  col: (column: string) => string = (c) => c,
): string {
  const z = model.features.map((s) => {
    const x = s.transform === 'log1p' ? `ln(1 + greatest(cast(${col(s.column)} as double), 0))` : `cast(${col(s.column)} as double)`;
    // Missing → 0 (the mean). Not coalesce: DuckDB's greatest() skips a NULL argument.
    return `(case when ${col(s.column)} is null then 0 else (${x} - ${param(s.mean)}) / ${param(s.sd)} end)`;
  });
  const dist = (c: number) => '(' + z.map((zj, j) => `power(${zj} - ${param(model.centers[c]![j]!)}, 2)`).join(' + ') + ')';
  const mine = dist(index);
  const others = model.centers.map((_, c) => c).filter((c) => c !== index).map((c) => `${mine} ${c < index ? '<' : '<='} ${dist(c)}`);
  return `(coalesce(${col('orders')}, 0) >= 1${others.length ? ' and ' + others.join(' and ') : ''})`;
}
