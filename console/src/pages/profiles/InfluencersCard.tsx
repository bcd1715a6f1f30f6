import { useState } from 'react';
import { Card, Segmented, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { getInfluencers, type Influencer } from '../../apiProfiles';
import { Loadable } from '../../components/Section';
import { fmtInt, fmtMoney } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n';
import { linkProps } from '../../router';
import { TraitLabel } from '../user360/traitValue';

type By = 'centrality' | 'downstreamGmv';

/** The top influencers of the workspace, by centrality or by GMV downstream of their shares. */
export function InfluencersCard() {
  const { t, lang } = useI18n();
  const [by, setBy] = useState<By>('centrality');
  const { data, error, loading, reload } = useLoad((signal) => getInfluencers(by, 10, signal), [by]);
  const label = (k: string) => <TraitLabel k={k} lang={lang} />;
  const cols: ColumnsType<Influencer> = [
    {
      title: t('col.user'),
      dataIndex: 'userId',
      ellipsis: true,
      render: (v: string | null, r) => (
        <>
          <a {...linkProps(`/users/${encodeURIComponent(r.profileId)}`)}>{v ?? r.profileId}</a> {r.isKol && <Tag color="magenta">KOL</Tag>}
        </>
      ),
    },
    { title: label('centrality'), dataIndex: 'centrality', align: 'right', width: 120, render: (v: number) => Number(v).toFixed(3) },
    { title: label('followers'), dataIndex: 'followers', align: 'right', width: 100, render: (v: number) => fmtInt(lang, v) },
    { title: label('shares'), dataIndex: 'shares', align: 'right', width: 100, render: (v: number) => fmtInt(lang, v) },
    { title: label('downstreamOrders'), dataIndex: 'downstreamOrders', align: 'right', width: 120, render: (v: number) => fmtInt(lang, v) },
    { title: label('downstreamGmv'), dataIndex: 'downstreamGmv', align: 'right', width: 140, render: (v: number) => fmtMoney(lang, v) },
  ];
  return (
    <Card
      title={t('profiles.influencers')}
      data-testid="card-influencers"
      extra={
        <Segmented<By>
          value={by}
          onChange={setBy}
          options={[
            { value: 'centrality', label: t('profiles.byCentrality') },
            { value: 'downstreamGmv', label: t('profiles.byDownstreamGmv') },
          ]}
        />
      }
    >
      <Loadable loading={loading && !data} error={error} onRetry={reload}>
        <Table<Influencer> data-testid="table-influencers" size="small" rowKey="profileId" columns={cols} dataSource={data?.influencers ?? []} pagination={false} locale={{ emptyText: t('common.empty') }} />
      </Loadable>
    </Card>
  );
}
