import { AutoComplete, Button, InputNumber, Select, Space, Tooltip, Typography } from 'antd';
import { DeleteOutlined, InfoCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useI18n, type MessageKey } from '../../i18n';
import { useBuilder } from './builderContext';
import { COUNT_OPS, KNOWN_EVENTS, LINE_PROPERTIES, PROPERTY_OPS, pathString, type EventRule, type Path, type PropertyFilter } from './ruleModel';
import { ValueInput } from './ValueInput';

type WindowMode = 'all' | 'days' | 'since';

/** An event condition: did / did not do an event, how often, when, with property filters and a total. */
export function EventEditor({ rule, path }: { rule: EventRule; path: Path }) {
  const { t } = useI18n();
  const { set, issues } = useBuilder();
  const mine = issues.get(pathString(path)) ?? [];
  const bad = (suffix: string) => (mine.some((i) => i.path.endsWith(suffix)) ? ('error' as const) : undefined);
  const performed = rule.performed !== false;
  const mode: WindowMode = !rule.within ? 'all' : 'days' in rule.within ? 'days' : 'since';
  const opOptions = (ops: string[]) => ops.map((op) => ({ value: op, label: t(`seg.op.${op}` as MessageKey) }));
  const setWhere = (i: number, f: PropertyFilter) => set([...path, 'where', i], f);
  const where = rule.where ?? [];

  return (
    <div data-testid="cond-event">
      <Space wrap size={6}>
        <Select
          size="small"
          style={{ width: 110 }}
          value={performed ? 'yes' : 'no'}
          data-testid="event-performed"
          onChange={(v: string) => {
            const { count: _c, sum: _s, ...rest } = rule;
            set(path, v === 'yes' ? { ...rest, performed: true } : { ...rest, performed: false });
          }}
          options={[
            { value: 'yes', label: t('seg.event.performed') },
            { value: 'no', label: t('seg.event.notPerformed') },
          ]}
        />
        <AutoComplete
          size="small"
          style={{ width: 200 }}
          value={rule.event}
          options={KNOWN_EVENTS.map((e) => ({ value: e }))}
          onChange={(v: string) => set([...path, 'event'], v)}
          filterOption={(input, o) => String(o?.value ?? '').toLowerCase().includes(input.toLowerCase())}
          status={bad('.event')}
          data-testid="event-name"
        />
        {performed && (
          <>
            <Select
              size="small"
              style={{ width: 120 }}
              value={rule.count ? rule.count.op : 'any'}
              data-testid="event-count-op"
              onChange={(v: string) => set([...path, 'count'], v === 'any' ? undefined : { op: v, value: rule.count?.value ?? 2 })}
              options={[{ value: 'any', label: t('seg.event.anyCount') }, ...opOptions(COUNT_OPS)]}
            />
            {rule.count && (
              <Space size={4}>
                <InputNumber size="small" min={0} value={rule.count.value} status={bad('.count.value')} onChange={(n) => set([...path, 'count', 'value'], Number(n ?? 0))} style={{ width: 70 }} data-testid="event-count" />
                <Typography.Text type="secondary">{t('seg.event.times')}</Typography.Text>
              </Space>
            )}
          </>
        )}
        <Select
          size="small"
          style={{ width: 160 }}
          value={mode}
          data-testid="event-window"
          onChange={(m: WindowMode) => set([...path, 'within'], m === 'all' ? undefined : m === 'days' ? { days: 30 } : { since: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10) })}
          options={[
            { value: 'all', label: t('seg.event.allTime') },
            { value: 'days', label: t('seg.event.lastDays') },
            { value: 'since', label: t('seg.event.since') },
          ]}
        />
        {rule.within && 'days' in rule.within && (
          <Space size={4}>
            <InputNumber size="small" min={1} max={3660} value={rule.within.days} status={bad('.within.days')} onChange={(n) => set([...path, 'within', 'days'], Number(n ?? 1))} style={{ width: 80 }} data-testid="event-days" />
            <Typography.Text type="secondary">{t('seg.time.days')}</Typography.Text>
          </Space>
        )}
        {rule.within && 'since' in rule.within && (
          <input type="date" className="seg-date" value={rule.within.since.slice(0, 10)} onChange={(e) => set([...path, 'within', 'since'], e.target.value)} />
        )}
      </Space>

      <div className="seg-subrows">
        {where.map((f, i) => (
          <Space key={i} wrap size={6} className="seg-subrow" data-testid="event-where">
            <Typography.Text type="secondary">{t('seg.event.where')}</Typography.Text>
            <AutoComplete
              size="small"
              style={{ width: 140 }}
              value={f.property}
              placeholder={t('seg.event.property')}
              options={(rule.event === 'Order Completed' ? [...LINE_PROPERTIES, 'total', 'revenue', 'coupon'] : ['category', 'brand', 'product_id', 'price']).map((p) => ({ value: p }))}
              onChange={(v: string) => setWhere(i, { ...f, property: v })}
              status={bad(`.where[${i}].property`)}
            />
            <Select size="small" style={{ width: 140 }} value={f.op} options={opOptions(PROPERTY_OPS)} onChange={(op: string) => setWhere(i, op === 'exists' || op === 'not_exists' ? { property: f.property, op } : { property: f.property, op, value: op === 'in' || op === 'not_in' ? [] : op === 'between' ? [0, 100] : '' })} />
            <ValueInput type="property" field={f.property} op={f.op} value={f.value} testId="where-value" status={bad(`.where[${i}].value`)} onChange={(v) => setWhere(i, { ...f, value: v as PropertyFilter['value'] })} />
            <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => set([...path, 'where'], where.length > 1 ? where.filter((_, j) => j !== i) : undefined)} />
          </Space>
        ))}
        {performed && rule.sum && (
          <Space wrap size={6} className="seg-subrow" data-testid="event-sum">
            <Typography.Text type="secondary">{t('seg.event.sumOf')}</Typography.Text>
            <AutoComplete size="small" style={{ width: 120 }} value={rule.sum.property} options={['total', 'revenue', 'price', 'quantity'].map((p) => ({ value: p }))} onChange={(v: string) => set([...path, 'sum', 'property'], v)} status={bad('.sum.property')} />
            <Select size="small" style={{ width: 120 }} value={rule.sum.op} options={opOptions(COUNT_OPS)} onChange={(op: string) => set([...path, 'sum', 'op'], op)} />
            <InputNumber size="small" value={rule.sum.value} onChange={(n) => set([...path, 'sum', 'value'], Number(n ?? 0))} status={bad('.sum.value')} style={{ width: 100 }} />
            <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => set([...path, 'sum'], undefined)} />
          </Space>
        )}
        <Space size={4}>
          <Button size="small" type="link" icon={<PlusOutlined />} onClick={() => set([...path, 'where'], [...where, { property: rule.event === 'Order Completed' ? 'category' : 'category', op: 'eq', value: '' }])} data-testid="event-add-where">
            {t('seg.event.addWhere')}
          </Button>
          {performed && !rule.sum && (
            <Button size="small" type="link" icon={<PlusOutlined />} onClick={() => set([...path, 'sum'], { property: 'total', op: 'gt', value: 300 })}>
              {t('seg.event.addSum')}
            </Button>
          )}
          {rule.event === 'Order Completed' && (
            <Tooltip title={t('seg.event.lineHint')}>
              <InfoCircleOutlined style={{ color: '#8c8c8c' }} />
            </Tooltip>
          )}
        </Space>
      </div>
    </div>
  );
}
