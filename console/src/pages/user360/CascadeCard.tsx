import { useMemo, useState } from 'react';
import { Card, Empty, Select, Space, Typography } from 'antd';
import type { EChartsCoreOption } from 'echarts/core';
import type { UserProfile } from '../../api';
import { getCascade, type CascadeNode } from '../../apiProfiles';
import { Chart } from '../../components/Chart';
import { Loadable } from '../../components/Section';
import { fmtInt, fmtMoney, fmtTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n, type Lang } from '../../i18n';

interface TreeDatum {
  name: string;
  value: number;
  node: CascadeNode;
  children: TreeDatum[];
}

const toTree = (n: CascadeNode): TreeDatum => ({ name: n.sharer, value: n.downstreamOrders, node: n, children: n.children.map(toTree) });

function treeOption(root: CascadeNode, lang: Lang, labels: { clicks: string; orders: string; gmv: string; downstream: string }): EChartsCoreOption {
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { data: TreeDatum }) => {
        const n = p.data.node;
        return [
          `<b>${n.sharer}</b> · G${n.generation} · ${fmtTime(lang, n.timestamp)}`,
          `${labels.clicks}: ${fmtInt(lang, n.clicks)} · ${labels.orders}: ${fmtInt(lang, n.orders)} · ${labels.gmv}: ${fmtMoney(lang, n.gmv)}`,
          `${labels.downstream}: ${fmtInt(lang, n.downstreamOrders)} / ${fmtMoney(lang, n.downstreamGmv)}`,
        ].join('<br/>');
      },
    },
    series: [
      {
        type: 'tree',
        data: [toTree(root)],
        orient: 'LR',
        top: 16,
        bottom: 16,
        left: 80,
        right: 120,
        symbolSize: (v: number) => 8 + Math.min(16, v * 2),
        initialTreeDepth: 4,
        expandAndCollapse: true,
        label: { position: 'left', verticalAlign: 'middle', align: 'right', fontSize: 11 },
        leaves: { label: { position: 'right', align: 'left' } },
        itemStyle: { color: '#fa541c', borderColor: '#fa541c' },
      },
    ],
  };
}

/** The share cascades the person started (their shares without a parent), one at a time as a tree. */
export function CascadeCard({ profile }: { profile: UserProfile }) {
  const { t, lang } = useI18n();
  const roots = profile.shares.filter((s) => !s.parentShareId);
  const [picked, setPicked] = useState<string | undefined>(roots[0]?.shareId);
  const { data, error, loading, reload } = useLoad((signal) => (picked ? getCascade(picked, signal) : Promise.resolve(null)), [picked]);
  const option = useMemo(
    () => (data ? treeOption(data.root, lang, { clicks: t('col.clicks'), orders: t('col.orders'), gmv: t('col.gmv'), downstream: t('u360.downstream') }) : null),
    [data, lang, t],
  );
  return (
    <Card
      title={t('u360.cascades')}
      data-testid="card-cascade"
      extra={
        roots.length > 1 ? (
          <Select
            size="small"
            style={{ width: 260 }}
            value={picked}
            onChange={setPicked}
            options={roots.map((s) => ({ value: s.shareId, label: `${s.productId ?? s.shareId} · ${fmtTime(lang, s.timestamp)}` }))}
            data-testid="cascade-pick"
          />
        ) : null
      }
    >
      {!roots.length ? (
        <Empty description={t('u360.noCascade')} />
      ) : (
        <Loadable loading={loading && !data} error={error} onRetry={reload}>
          {data && option && (
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Typography.Text data-testid="cascade-summary">
                {t('u360.cascadeSummary', { shares: data.shares, generations: data.generations, orders: fmtInt(lang, data.root.downstreamOrders), gmv: fmtMoney(lang, data.root.downstreamGmv) })}
              </Typography.Text>
              <Chart option={option} height={Math.min(520, 160 + data.shares * 14)} testId="chart-cascade" />
            </Space>
          )}
        </Loadable>
      )}
    </Card>
  );
}
