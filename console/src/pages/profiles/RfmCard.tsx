import { useMemo } from 'react';
import { Button, Card, Col, Empty, Progress, Row, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import { PartitionOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import type { EChartsCoreOption } from 'echarts/core';
import type { RfmGrid } from '../../apiProfiles';
import { Chart } from '../../components/Chart';
import { fmtInt, fmtMoney } from '../../format';
import { useI18n, type Lang, type T } from '../../i18n';
import { SEGMENT_COLORS, rfmSegmentLabel } from './labels';
import { navigate } from '../../router';
import { newSegmentLink } from '../segments/ruleModel';

type SegRow = RfmGrid['segments'][number];

/** R × F heatmap: x = F score, y = R score (5 on top); the value is the buyers of the cell. */
function heatmapOption(grid: RfmGrid, t: T, lang: Lang): EChartsCoreOption {
  const max = Math.max(1, ...grid.cells.map((c) => c.buyers));
  return {
    tooltip: {
      formatter: (p: { data: [number, number, number, number, string] }) => {
        const [f, r, buyers, revenue, seg] = p.data;
        return [
          `<b>R${r + 1} · F${f + 1}</b> — ${rfmSegmentLabel(t, seg)}`,
          `${t('profiles.buyers')}: ${fmtInt(lang, buyers)}`,
          `${t('profiles.revenue')}: ${fmtMoney(lang, revenue)}`,
        ].join('<br/>');
      },
    },
    grid: { left: 64, right: 72, top: 16, bottom: 44 },
    xAxis: { type: 'category', data: [1, 2, 3, 4, 5].map((f) => `F${f}`), name: t('profiles.frequency'), nameLocation: 'middle', nameGap: 28, splitArea: { show: true } },
    yAxis: { type: 'category', data: [1, 2, 3, 4, 5].map((r) => `R${r}`), name: t('profiles.recency'), nameLocation: 'middle', nameGap: 40, splitArea: { show: true } },
    visualMap: { dimension: 2, min: 0, max, calculable: true, orient: 'vertical', right: 0, top: 'middle', itemHeight: 140, inRange: { color: ['#fff7e6', '#ffd591', '#fa8c16', '#d4380d'] } },
    series: [
      {
        type: 'heatmap',
        data: grid.cells.map((c) => [c.f - 1, c.r - 1, c.buyers, c.revenue, c.segment]),
        label: {
          show: true,
          formatter: (p: { data: [number, number, number, number, string] }) => `${fmtInt(lang, p.data[2])}\n{rev|${fmtMoney(lang, p.data[3]).replace(/\.\d\d$/, '')}}`,
          lineHeight: 18,
          fontWeight: 'bold',
          rich: { rev: { fontSize: 10, lineHeight: 14, fontWeight: 'normal', color: '#434343' } },
        },
        emphasis: { itemStyle: { shadowBlur: 8, shadowColor: 'rgba(0,0,0,0.3)' } },
      },
    ],
  };
}

export function RfmCard({ grid }: { grid: RfmGrid }) {
  const { t, lang } = useI18n();
  const option = useMemo(() => heatmapOption(grid, t, lang), [grid, t, lang]);
  const cols: ColumnsType<SegRow> = [
    { title: t('profiles.segment'), dataIndex: 'segment', render: (s: string) => <Tag color={SEGMENT_COLORS[s]}>{rfmSegmentLabel(t, s)}</Tag> },
    { title: t('profiles.buyers'), dataIndex: 'buyers', align: 'right', width: 80, render: (v: number) => fmtInt(lang, v) },
    { title: t('profiles.share'), dataIndex: 'share', width: 130, render: (v: number, r) => <Progress percent={Math.round(v * 1000) / 10} size="small" strokeColor={SEGMENT_COLORS[r.segment]} /> },
    { title: t('profiles.revenue'), dataIndex: 'revenue', align: 'right', width: 120, render: (v: number) => fmtMoney(lang, v) },
    {
      key: 'go',
      width: 44,
      render: (_: unknown, r) => (
        <Tooltip title={t('profiles.toSegment')}>
          <Button size="small" type="text" icon={<PartitionOutlined />} data-testid="rfm-segment-build" onClick={() => navigate(newSegmentLink({ all: [{ trait: 'rfmSegment', op: 'eq', value: r.segment }] }))} />
        </Tooltip>
      ),
    },
  ];
  const windowText = grid.windowDays ? t('profiles.window', { days: grid.windowDays }) : t('profiles.windowAll');
  return (
    <Card
      title={t('profiles.rfmGrid')}
      extra={<Typography.Text type="secondary">{windowText}{grid.asOf ? ` · ${t('profiles.asOf', { day: grid.asOf })}` : ''}</Typography.Text>}
      data-testid="card-rfm"
    >
      {grid.buyers === 0 ? (
        <Empty description={t('profiles.notComputed')} />
      ) : (
        <Row gutter={[24, 16]}>
          <Col xs={24} xl={11}>
            <Row gutter={16} style={{ marginBottom: 8 }}>
              <Col span={12}>
                <Statistic title={t('profiles.totalBuyers')} value={fmtInt(lang, grid.buyers)} data-testid="rfm-buyers" />
              </Col>
              <Col span={12}>
                <Statistic title={t('profiles.totalRevenue')} value={fmtMoney(lang, grid.revenue)} />
              </Col>
            </Row>
            <Chart
              option={option}
              height={380}
              testId="chart-rfm"
              onClick={(p) => {
                const d = p.data as [number, number] | undefined;
                if (d) navigate(newSegmentLink({ all: [{ trait: 'rScore', op: 'eq', value: d[1] + 1 }, { trait: 'fScore', op: 'eq', value: d[0] + 1 }] }));
              }}
            />
            <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8 }}>
              {t('profiles.rfmHint')}
            </Typography.Paragraph>
          </Col>
          <Col xs={24} xl={13}>
            <Typography.Title level={5}>{t('profiles.segments')}</Typography.Title>
            <Table<SegRow> data-testid="table-rfm-segments" size="small" rowKey="segment" columns={cols} dataSource={grid.segments} pagination={false} />
          </Col>
        </Row>
      )}
    </Card>
  );
}
