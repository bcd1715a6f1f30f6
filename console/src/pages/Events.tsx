import { useEffect, useRef, useState } from 'react';
import { Alert, Badge, Button, Card, Space, Table, Tag, Typography } from 'antd';
import { PauseCircleOutlined, PlayCircleOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import { getRecentEvents, type RecentEvent } from '../api';
import { fmtTime } from '../format';
import { errorText } from '../hooks';
import { useI18n } from '../i18n';

const POLL_MS = 2000;
const TYPE_COLORS: Record<string, string> = { track: 'blue', identify: 'green', page: 'purple', screen: 'cyan', group: 'gold', alias: 'magenta' };

export default function EventsPage() {
  const { t, lang } = useI18n();
  const [events, setEvents] = useState<RecentEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [paused, setPaused] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const netText = useRef(t('common.networkError'));
  netText.current = t('common.networkError');

  useEffect(() => {
    if (paused) return;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const res = await getRecentEvents(50, ctl.signal);
        if (ctl.signal.aborted) return;
        setEvents(res.events ?? []);
        setError(null);
        setUpdatedAt(new Date());
      } catch (err) {
        if (ctl.signal.aborted) return;
        setError(errorText(err, netText.current));
      }
      if (!ctl.signal.aborted) timer = setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [paused]);

  const columns: ColumnsType<RecentEvent> = [
    { title: t('col.type'), dataIndex: 'type', width: 100, render: (v: string) => <Tag color={TYPE_COLORS[v] ?? 'default'}>{v}</Tag> },
    { title: t('col.event'), dataIndex: 'event', ellipsis: true, render: (v: string | null) => v ?? '—' },
    {
      title: t('col.user'),
      key: 'user',
      ellipsis: true,
      render: (_: unknown, r) =>
        r.userId ? (
          <Typography.Text code>{r.userId}</Typography.Text>
        ) : (
          <Typography.Text type="secondary">{t('events.anonymous', { id: (r.anonymousId ?? '').slice(0, 12) })}</Typography.Text>
        ),
    },
    { title: t('col.time'), dataIndex: 'timestamp', width: 190, render: (v: string) => fmtTime(lang, v) },
    { title: t('col.receivedAt'), dataIndex: 'receivedAt', width: 190, responsive: ['lg'], render: (v: string) => fmtTime(lang, v) },
  ];

  return (
    <div data-testid="page-events">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('events.title')}
        </Typography.Title>
        <Space>
          <Badge status={paused ? 'default' : 'processing'} text={paused ? t('events.paused') : t('events.live')} />
          {updatedAt && <Typography.Text type="secondary">{t('events.lastUpdated', { time: updatedAt.toLocaleTimeString(lang, { hour12: false }) })}</Typography.Text>}
          <Button
            data-testid="events-toggle"
            icon={paused ? <PlayCircleOutlined /> : <PauseCircleOutlined />}
            onClick={() => setPaused((p) => !p)}
          >
            {paused ? t('events.resume') : t('events.pause')}
          </Button>
        </Space>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="page-error" />}
      <Card>
        <Table<RecentEvent>
          data-testid="table-events"
          size="small"
          rowKey={(r) => `${r.seq}:${r.messageId}`}
          loading={events === null && !error}
          columns={columns}
          dataSource={events ?? []}
          pagination={false}
          locale={{ emptyText: t('common.empty') }}
          expandable={{
            expandedRowRender: (r) => (
              <div>
                <Typography.Text strong>{t('events.properties')}</Typography.Text>
                <pre className="json-block" data-testid="event-json">{JSON.stringify(r.properties ?? {}, null, 2)}</pre>
                <Typography.Text type="secondary" copyable={{ text: r.messageId }}>
                  {r.messageId}
                </Typography.Text>
              </div>
            ),
          }}
          footer={() => <Typography.Text type="secondary">{t('events.count', { count: events?.length ?? 0 })}</Typography.Text>}
        />
      </Card>
    </div>
  );
}
