import { Button, Dropdown, Segmented, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { CloseOutlined, PlusOutlined } from '@ant-design/icons';
import { useI18n, type MessageKey } from '../../i18n';
import { useBuilder } from './builderContext';
import { EventEditor } from './EventEditor';
import { IssueList } from './IssueList';
import { SegmentRefEditor, SocialEditor } from './SocialEditor';
import { TraitEditor } from './TraitEditor';
import { kindOf, newEvent, newGroup, newSegmentRef, newSocial, newTrait, pathString, type EventRule, type Path, type Rule, type SocialRule, type TraitRule } from './ruleModel';

const KIND_COLORS: Record<string, string> = { trait: 'blue', event: 'purple', social: 'green', segment: 'gold', all: 'default', any: 'default', other: 'default' };

/** The menu that adds a condition or a nested group to a group. */
function AddMenu({ path, items }: { path: Path; items: Rule[] }) {
  const { t } = useI18n();
  const { set } = useBuilder();
  const add = (r: Rule) => set(path, [...items, r]);
  const kinds: Array<[string, () => Rule]> = [
    ['trait', newTrait],
    ['event', newEvent],
    ['social', newSocial],
    ['segment', () => newSegmentRef()],
    ['group', newGroup],
  ];
  return (
    <Space size={4} wrap>
      <Button size="small" icon={<PlusOutlined />} onClick={() => add(newTrait())} data-testid="add-trait">
        {t('seg.add.trait')}
      </Button>
      <Button size="small" icon={<PlusOutlined />} onClick={() => add(newEvent())} data-testid="add-event">
        {t('seg.add.event')}
      </Button>
      <Dropdown
        menu={{
          items: kinds.slice(2).map(([k]) => ({ key: k, label: <span data-testid={`add-${k}`}>{t(`seg.add.${k}` as MessageKey)}</span> })),
          onClick: ({ key }) => add(kinds.find(([k]) => k === key)![1]()),
        }}
      >
        <Button size="small" data-testid="add-more">
          {t('seg.add')} …
        </Button>
      </Dropdown>
    </Space>
  );
}

/** A group: ALL / ANY of its children, each on its own row; children may be groups. */
export function GroupNode({ rule, path, root }: { rule: { all: Rule[] } | { any: Rule[] }; path: Path; root?: boolean }) {
  const { t } = useI18n();
  const { set, issues } = useBuilder();
  const k = 'all' in rule ? 'all' : 'any';
  const items = 'all' in rule ? rule.all : rule.any;
  return (
    <div className={root ? 'seg-group seg-root' : 'seg-group'} data-testid={root ? 'group-root' : 'group'}>
      <Space size={8} style={{ marginBottom: 8 }}>
        <Segmented
          size="small"
          value={k}
          data-testid="group-combinator"
          onChange={(v) => set(path, { [v as string]: items })}
          options={[
            { value: 'all', label: <span data-testid="combinator-all">{t('seg.group.all')}</span> },
            { value: 'any', label: <span data-testid="combinator-any">{t('seg.group.any')}</span> },
          ]}
        />
      </Space>
      <IssueList issues={issues.get(pathString(path))} />
      {items.map((child, i) => (
        <div key={i} className="seg-row-wrap">
          {i > 0 && <div className="seg-joiner">{k === 'all' ? t('seg.group.and') : t('seg.group.or')}</div>}
          <NodeRow rule={child} path={[...path, k, i]} />
        </div>
      ))}
      <div style={{ marginTop: 8 }}>
        <AddMenu path={[...path, k]} items={items} />
      </div>
    </div>
  );
}

/** One child of a group: its editor, an "exclude" (NOT) switch and a remove button. */
function NodeRow({ rule, path }: { rule: Rule; path: Path }) {
  const { t } = useI18n();
  const { set, remove, issues } = useBuilder();
  const negated = kindOf(rule) === 'not';
  const inner = negated ? (rule as { not: Rule }).not : rule;
  const innerPath = negated ? [...path, 'not'] : path;
  const kind = kindOf(inner);
  const kindKey = kind === 'all' || kind === 'any' || kind === 'not' ? 'group' : kind === 'other' ? 'other' : kind;
  const rowIssues = [...(issues.get(pathString(path)) ?? []), ...(negated ? issues.get(pathString(innerPath)) ?? [] : [])];
  return (
    <div className={`seg-row${negated ? ' seg-row-not' : ''}${rowIssues.length ? ' seg-row-bad' : ''}`} data-testid="rule-row">
      <div className="seg-row-head">
        <Space size={6}>
          <Tag color={KIND_COLORS[kind]}>{t(`seg.kind.${kindKey}` as MessageKey)}</Tag>
          <Tooltip title={t('seg.notHint')}>
            <Space size={4}>
              <Switch size="small" checked={negated} onChange={(on) => set(path, on ? { not: inner } : inner)} data-testid="row-not" />
              <span className="seg-not-label">{t('seg.not')}</span>
            </Space>
          </Tooltip>
        </Space>
        <Tooltip title={t('seg.remove')}>
          <Button size="small" type="text" icon={<CloseOutlined />} onClick={() => remove(path)} data-testid="row-remove" />
        </Tooltip>
      </div>
      <div className="seg-row-body">
        {kind === 'all' || kind === 'any' ? (
          <GroupNode rule={inner as { all: Rule[] }} path={innerPath} />
        ) : kind === 'not' ? (
          <NodeRow rule={(inner as { not: Rule }).not} path={[...innerPath, 'not']} />
        ) : kind === 'trait' ? (
          <TraitEditor rule={inner as TraitRule} path={innerPath} />
        ) : kind === 'event' ? (
          <EventEditor rule={inner as EventRule} path={innerPath} />
        ) : kind === 'social' ? (
          <SocialEditor rule={inner as SocialRule} path={innerPath} />
        ) : kind === 'segment' ? (
          <SegmentRefEditor rule={inner as { segment: string }} path={innerPath} />
        ) : (
          <Typography.Text code data-testid="cond-other">
            {JSON.stringify(inner)}
          </Typography.Text>
        )}
      </div>
      <IssueList issues={rowIssues} />
    </div>
  );
}
