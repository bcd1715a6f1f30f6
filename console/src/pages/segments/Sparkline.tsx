import { useMemo } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { Chart } from '../../components/Chart';

/** A tiny line of values (segment size over time) without axes. */
export function Sparkline({ values, testId }: { values: number[]; testId?: string }) {
  const option = useMemo<EChartsCoreOption>(
    () => ({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 4 },
      xAxis: { type: 'category', show: false, data: values.map((_, i) => i) },
      yAxis: { type: 'value', show: false, scale: true },
      series: [{ type: 'line', data: values, showSymbol: values.length === 1, symbolSize: 4, itemStyle: { color: '#fa541c' }, lineStyle: { width: 1.5, color: '#fa541c' }, areaStyle: { color: 'rgba(250,84,28,0.12)' } }],
    }),
    [values],
  );
  return <Chart option={option} height={32} testId={testId} />;
}
