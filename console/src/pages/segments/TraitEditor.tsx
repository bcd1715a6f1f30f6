import { Input, Select, Space } from 'antd';
import { useI18n, type MessageKey } from '../../i18n';
import { TRAIT_DEFS, TRAIT_GROUPS } from '../../messages/traitDefs';
import { useBuilder } from './builderContext';
import { ValueInput } from './ValueInput';
import { FIELD_TYPES, IDENTIFY_PREFIX, OPS_BY_TYPE, defaultValue, fieldType, pathString, type Path, type TraitRule } from './ruleModel';

const IDENTIFY = '__identify__';

/** A trait condition: field (computed trait or `traits.<key>`), operator for its type, value. */
export function TraitEditor({ rule, path }: { rule: TraitRule; path: Path }) {
  const { t, lang } = useI18n();
  const { set, issues } = useBuilder();
  const type = fieldType(rule.trait) ?? 'number';
  const identify = rule.trait.startsWith(IDENTIFY_PREFIX);
  const bad = (p: string) => (issues.get(pathString(path))?.some((i) => i.path.endsWith(p)) ? ('error' as const) : undefined);

  const groups = TRAIT_GROUPS.map((g) => ({
    label: t(`u360.group.${g}` as MessageKey),
    options: Object.keys(FIELD_TYPES)
      .filter((k) => (TRAIT_DEFS[k]?.group ?? 'activity') === g)
      .map((k) => ({ value: k, label: TRAIT_DEFS[k]?.label[lang] ?? k, title: TRAIT_DEFS[k]?.def[lang], search: `${k} ${TRAIT_DEFS[k]?.label.en ?? ''} ${TRAIT_DEFS[k]?.label['zh-CN'] ?? ''}` })),
  })).filter((g) => g.options.length);
  groups.push({ label: t('seg.field.identify'), options: [{ value: IDENTIFY, label: t('seg.field.identify'), title: undefined, search: 'traits identify' }] });
  const unlisted = Object.keys(FIELD_TYPES).filter((k) => !TRAIT_DEFS[k]);
  if (unlisted.length) groups.push({ label: t('u360.group.other'), options: unlisted.map((k) => ({ value: k, label: k, title: undefined, search: k })) });

  const changeField = (f: string) => {
    const field = f === IDENTIFY ? `${IDENTIFY_PREFIX}city` : f;
    const ft = fieldType(field)!;
    const op = OPS_BY_TYPE[ft].includes(rule.op) ? rule.op : OPS_BY_TYPE[ft][0]!;
    set(path, { trait: field, op, ...(defaultValue(ft, op, field) !== undefined ? { value: defaultValue(ft, op, field) } : {}) });
  };
  const changeOp = (op: string) => {
    const v = defaultValue(type, op, rule.trait, rule.value);
    set(path, { trait: rule.trait, op, ...(v !== undefined ? { value: v } : {}) });
  };

  return (
    <Space wrap size={6} data-testid="cond-trait">
      <Select
        size="small"
        showSearch={{ filterOption: (input, o) => String((o as { search?: string })?.search ?? '').toLowerCase().includes(input.toLowerCase()) }}
        style={{ width: 200 }}
        value={identify ? IDENTIFY : rule.trait}
        onChange={changeField}
        options={groups}
        status={bad('.trait')}
        data-testid="trait-field"
        popupMatchSelectWidth={260}
      />
      {identify && (
        <Input
          size="small"
          addonBefore="traits."
          style={{ width: 200 }}
          placeholder={t('seg.field.identifyKey')}
          value={rule.trait.slice(IDENTIFY_PREFIX.length)}
          status={bad('.trait')}
          onChange={(e) => set([...path, 'trait'], IDENTIFY_PREFIX + e.target.value.trim())}
        />
      )}
      <Select
        size="small"
        style={{ width: 150 }}
        value={rule.op}
        onChange={changeOp}
        options={OPS_BY_TYPE[type].map((op) => ({ value: op, label: t(`seg.op.${op}` as MessageKey) }))}
        status={bad('.op')}
        data-testid="trait-op"
      />
      <ValueInputFor rule={rule} path={path} bad={bad('.value')} />
    </Space>
  );
}


function ValueInputFor({ rule, path, bad }: { rule: TraitRule; path: Path; bad?: 'error' }) {
  const { set } = useBuilder();
  return (
    <ValueInput
      type={fieldType(rule.trait) ?? 'number'}
      field={rule.trait}
      op={rule.op}
      value={rule.value}
      onChange={(v) => set([...path, 'value'], v)}
      status={bad}
      testId="trait-value"
    />
  );
}
