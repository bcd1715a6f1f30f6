import { Typography } from 'antd';
import { WarningOutlined } from '@ant-design/icons';
import { useI18n, type MessageKey, type T } from '../../i18n';
import type { RuleIssue } from './ruleModel';

/** An issue in words a marketer can act on: local checks by key, API codes by code, else the API's message. */
export function issueText(t: T, is: RuleIssue): string {
  if (is.code === 'LOCAL') return t(`seg.issue.${is.message}` as MessageKey);
  const known = ['RULE_TOO_DEEP', 'RULE_TOO_LARGE', 'RULE_TOO_COSTLY', 'RULE_CYCLE', 'RULE_INVALID'];
  if (is.code && known.includes(is.code)) return t(`seg.issue.${is.code}` as MessageKey, { detail: is.message });
  return t('seg.issue.other', { detail: is.message });
}

/** The issues placed at a node, shown under it. */
export function IssueList({ issues }: { issues: RuleIssue[] | undefined }) {
  const { t } = useI18n();
  if (!issues?.length) return null;
  return (
    <div className="seg-issues" data-testid="rule-issue">
      {issues.map((is, i) => (
        <div key={i}>
          <Typography.Text type="danger">
            <WarningOutlined /> {issueText(t, is)}
          </Typography.Text>{' '}
          <Typography.Text type="secondary" style={{ fontSize: 11 }}>
            {is.path}
          </Typography.Text>
        </div>
      ))}
    </div>
  );
}
