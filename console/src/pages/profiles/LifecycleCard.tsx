import { useMemo, useRef, useState } from 'react';
import { Card, Col, Empty, Row, Segmented, Space, Statistic, Typography } from 'antd';
import type { EChartsCoreOption } from 'echarts/core';
import { getLifecycle, type Lifecycle } from '../../apiProfiles';
import { Chart } from '../../components/Chart';
import { Loadable } from '../../components/Section';
import { fmtInt, shortDay } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n, type T } from '../../i18n';
import { STAGES, STAGE_COLORS, stageLabel } from './labels';
import { navigate } from '../../router';
import { newSegmentLink } from '../segments/ruleModel';

const RANGES = [30, 90, 180] as const;
type Range = (typeof RANGES)[number];

const dayMinus = (day: string, n: number) => new Date(Date.parse(day + 'T00:00:00Z') - n * 86_400_000).toISOString().slice(0, 10);

/** Daily buyers per stage as a stacked area (prospects are not in the daily history). */
function dailyOption(lc: Lifecycle, t: T): EChartsCoreOption {
  const stages = STAGES.filter((s) => s !== 'prospect');
  return {
    color: stages.map((s) => STAGE_COLORS[s] ?? '#999'),
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 48, bottom: 32 },
    xAxis: { type: 'category', boundaryGap: false, data: lc.days.map((d) => shortDay(String(d.day))) },
    yAxis: { type: 'value' },
    series: stages.map((s) => ({
      name: stageLabel(t, s),
      type: 'line',
      stack: 'stages',
      areaStyle: { opacity: 0.75 },
      showSymbol: false,
      lineStyle: { width: 1 },
      emphasis: { focus: 'series' },
      data: lc.days.map((d) => Number(d[s] ?? 0)),
    })),
  };
}

/**
 * Flows between stages as a sankey. Flows may go both ways (active → at risk → active), which a
 * sankey cannot draw as a cycle, so each stage has a node on the left (before) and one on the right (after).
 */
function sankeyOption(lc: Lifecycle, t: T): EChartsCoreOption {
  const left = (s: string) => `${stageLabel(t, s)} ▸`;
  const right = (s: string) => `▸ ${stageLabel(t, s)}`;
  const used = new Map<string, string>();
  for (const f of lc.flows) {
    used.set(left(f.from), f.from);
    used.set(right(f.to), f.to);
  }
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { dataType: string; name: string; value: number; data: { source?: string; target?: string } }) =>
        p.dataType === 'edge'
          ? t('profiles.flowTooltip', { from: used.has(p.data.source!) ? stageLabel(t, used.get(p.data.source!)) : '', to: stageLabel(t, used.get(p.data.target!)), n: p.value })
          : `${p.name}: ${p.value}`,
    },
    series: [
      {
        type: 'sankey',
        left: 8,
        right: 96,
        top: 8,
        bottom: 8,
        nodeAlign: 'justify',
        emphasis: { focus: 'adjacency' },
        lineStyle: { color: 'gradient', curveness: 0.5, opacity: 0.4 },
        data: [...used.entries()].map(([name, stage]) => ({ name, itemStyle: { color: STAGE_COLORS[stage] ?? '#999' } })),
        links: lc.flows.map((f) => ({ source: left(f.from), target: right(f.to), value: f.profiles })),
      },
    ],
  };
}

export function LifecycleCard() {
  const { t, lang } = useI18n();
  const [range, setRange] = useState<Range>(90);
  // The as-of day the server chose (its default range ends there); the other ranges end there too.
  const toRef = useRef<string | null>(null);
  const { data, error, loading, reload } = useLoad(
    async (signal) => {
      const to = toRef.current;
      if (to || range !== 90) {
        const end = to ?? (await getLifecycle({}, signal)).to;
        toRef.current = end;
        return getLifecycle({ from: dayMinus(end, range - 1), to: end }, signal);
      }
      const lc = await getLifecycle({}, signal);
      toRef.current = lc.to;
      return lc;
    },
    [range],
  );
  const options = useMemo(() => (data ? { daily: dailyOption(data, t), sankey: sankeyOption(data, t) } : null), [data, t]);
  return (
    <Card
      title={t('profiles.lifecycle')}
      data-testid="card-lifecycle"
      extra={
        <Space>
          {data?.asOf && <Typography.Text type="secondary">{t('profiles.asOf', { day: data.asOf })}</Typography.Text>}
          <Segmented<Range>
            data-testid="lifecycle-range"
            value={range}
            onChange={setRange}
            options={RANGES.map((n) => ({ value: n, label: t('profiles.days', { n }) }))}
          />
        </Space>
      }
    >
      <Loadable loading={loading && !data} error={error} onRetry={reload}>
        {data && options && (
          <Row gutter={[16, 16]}>
            <Col xs={24}>
              <Typography.Title level={5}>
                {t('profiles.stageCounts')}{' '}
                <Typography.Text type="secondary" style={{ fontSize: 12, fontWeight: 400 }}>
                  {t('profiles.stageHint')}
                </Typography.Text>
              </Typography.Title>
              <Row gutter={[12, 12]} data-testid="lifecycle-stages">
                {STAGES.map((s) => (
                  <Col xs={12} sm={6} xl={3} key={s}>
                    <Card
                      size="small"
                      hoverable
                      style={{ borderTop: `3px solid ${STAGE_COLORS[s]}` }}
                      data-testid={`stage-${s}`}
                      onClick={() => navigate(newSegmentLink({ all: [{ trait: 'lifecycleStage', op: 'eq', value: s }] }))}
                    >
                      <Statistic title={stageLabel(t, s)} value={fmtInt(lang, data.stages[s] ?? 0)} />
                    </Card>
                  </Col>
                ))}
              </Row>
            </Col>
            <Col xs={24} xl={14}>
              <Typography.Title level={5}>{t('profiles.daily')}</Typography.Title>
              <Chart option={options.daily} height={340} testId="chart-lifecycle-daily" />
            </Col>
            <Col xs={24} xl={10}>
              <Typography.Title level={5}>{t('profiles.flows', { from: data.from, to: data.to })}</Typography.Title>
              {data.flows.length ? <Chart option={options.sankey} height={340} testId="chart-lifecycle-flows" /> : <Empty description={t('profiles.flowsEmpty')} />}
            </Col>
          </Row>
        )}
      </Loadable>
    </Card>
  );
}
