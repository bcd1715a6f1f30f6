import { useState } from 'react';
import { Alert, Card, Col, Empty, Input, Row, Segmented, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { fmtMoney, fmtTime } from '../format';
import { useLoad } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { Loadable } from '../components/Section';
import { inspect, type Inspection, type ShownItem } from './RecommendApi';

const SOURCE_COLORS: Record<string, string> = {
  popular: 'default', itemknn: 'blue', ease: 'geekblue', als: 'purple', content: 'cyan', social: 'magenta', session: 'green', fbt: 'orange', pinned: 'red', boost: 'volcano',
};
const KIND_COLORS: Record<string, string> = { view: 'default', cart: 'gold', order: 'green', share: 'magenta' };

/** Pick a user: their recent history beside what each model, the blend and the non-personalised ranking would show. */
export default function RecommendInspector() {
  const { t, lang } = useI18n();
  const [who, setWho] = useState<{ userId?: string; anonymousId?: string } | null>(null);
  const [kind, setKind] = useState<'userId' | 'anonymousId'>('userId');
  const { data, error, loading, reload } = useLoad((signal) => (who ? inspect(who, lang, signal) : Promise.resolve(null)), [who?.userId, who?.anonymousId, lang]);

  const name = (r: ShownItem) => (
    <Space direction="vertical" size={0}>
      <Typography.Text>{r.name ?? r.productId}</Typography.Text>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {r.productId}
        {r.category ? ` · ${r.category}` : ''}
        {r.price !== null ? ` · ${fmtMoney(lang, r.price)}` : ''}
        {!r.inStock && <Tag color="red" style={{ marginLeft: 6 }}>{t('rec.outOfStock')}</Tag>}
      </Typography.Text>
    </Space>
  );
  const listCols: ColumnsType<ShownItem> = [
    { title: t('col.rank'), width: 44, render: (_v, _r, i) => i + 1 },
    { title: t('col.product'), render: (_v, r) => name(r) },
    { title: t('col.score'), dataIndex: 'score', width: 70, align: 'right', render: (v: number | undefined) => (v === undefined ? '—' : v.toFixed(3)) },
    {
      title: t('col.sources'),
      dataIndex: 'sources',
      width: 150,
      render: (v: string[] | undefined) => (
        <Space size={[2, 2]} wrap>
          {(v ?? []).map((s) => <Tag key={s} color={SOURCE_COLORS[s]}>{s}</Tag>)}
        </Space>
      ),
    },
    { title: t('col.reason'), dataIndex: 'reason', render: (v: string | undefined) => v ?? '—' },
  ];
  const modelCols: ColumnsType<ShownItem> = [
    { title: t('col.rank'), width: 44, render: (_v, _r, i) => i + 1 },
    { title: t('col.product'), render: (_v, r) => name(r) },
    { title: t('col.score'), dataIndex: 'score', width: 70, align: 'right', render: (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2)) },
  ];
  type Hist = Inspection['history'][number];
  const histCols: ColumnsType<Hist> = [
    { title: t('col.product'), render: (_v, r) => name(r) },
    {
      title: t('col.type'),
      dataIndex: 'kinds',
      width: 130,
      render: (v: string[], r) => (
        <Space size={[2, 2]} wrap>
          {v.map((k) => <Tag key={k} color={KIND_COLORS[k]}>{t(`rec.kind.${k}` as MessageKey)}</Tag>)}
          {r.live && <Tag color="processing">{t('rec.live')}</Tag>}
        </Space>
      ),
    },
    { title: t('col.time'), dataIndex: 'at', width: 150, render: (v: string) => fmtTime(lang, v) },
  ];

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap>
        <Segmented<'userId' | 'anonymousId'>
          value={kind}
          onChange={setKind}
          options={[{ label: t('col.userId'), value: 'userId' }, { label: t('rec.anonymous'), value: 'anonymousId' }]}
        />
        <Input.Search
          data-testid="rec-user-input"
          allowClear
          style={{ width: 360 }}
          placeholder={t('rec.userPlaceholder')}
          enterButton={t('rec.inspect')}
          onSearch={(v) => {
            const value = v.trim();
            setWho(value ? { [kind]: value } : null);
            if (value && value === (who?.userId ?? who?.anonymousId)) reload();
          }}
        />
      </Space>
      {!who ? (
        <Empty description={t('rec.hint')} />
      ) : (
        <Loadable loading={loading} error={error} onRetry={reload}>
          {data && (
            <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="rec-inspection">
              <Space wrap>
                <Tag color={data.user.precomputed ? 'green' : 'default'}>{data.user.precomputed ? t('rec.inModel') : t('rec.notInModel')}</Tag>
                {data.user.optedOut && <Tag color="red">{t('rec.optedOut')}</Tag>}
                <Typography.Text type="secondary">
                  {t('rec.version')}: {data.model.version}
                </Typography.Text>
              </Space>
              {data.user.optedOut && <Alert type="info" showIcon message={t('rec.optedOutNote')} />}
              <Row gutter={[16, 16]}>
                <Col xs={24} xl={9}>
                  <Card title={t('rec.history')} size="small">
                    <Table<Hist> rowKey={(r, i) => `${r.productId}-${r.at}-${i}`} size="small" columns={histCols} dataSource={data.history} pagination={{ pageSize: 15, hideOnSinglePage: true }} locale={{ emptyText: t('common.empty') }} />
                  </Card>
                </Col>
                <Col xs={24} xl={15}>
                  <Card title={t('rec.blend')} size="small" data-testid="rec-blend">
                    <Table<ShownItem> rowKey="productId" size="small" columns={listCols} dataSource={data.blend} pagination={false} />
                  </Card>
                </Col>
              </Row>
              <Typography.Title level={5}>{t('rec.perModel')}</Typography.Title>
              <Row gutter={[16, 16]}>
                {Object.entries(data.models).map(([m, list]) => (
                  <Col key={m} xs={24} md={12} xl={8}>
                    <Card title={m} size="small">
                      <Table<ShownItem> rowKey="productId" size="small" columns={modelCols} dataSource={list} pagination={false} locale={{ emptyText: t('common.empty') }} />
                    </Card>
                  </Col>
                ))}
                <Col xs={24} md={12} xl={8}>
                  <Card title={t('rec.nonPersonalised')} size="small">
                    <Table<ShownItem> rowKey="productId" size="small" columns={modelCols} dataSource={data.nonPersonalised.slice(0, 10)} pagination={false} />
                  </Card>
                </Col>
              </Row>
            </Space>
          )}
        </Loadable>
      )}
    </Space>
  );
}
