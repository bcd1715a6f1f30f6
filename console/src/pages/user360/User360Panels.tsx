import { Col, Row } from 'antd';
import type { UserProfile } from '../../api';
import { getUserTraits } from '../../apiProfiles';
import { Loadable } from '../../components/Section';
import { useLoad } from '../../hooks';
import { CascadeCard } from './CascadeCard';
import { ComputedTraitsCard } from './ComputedTraitsCard';
import { InfluenceCard } from './InfluenceCard';
import { RfmLifecycleCard } from './RfmLifecycleCard';
import { SegmentsTagsCard } from './SegmentsTagsCard';

/** The computed parts of User 360: traits with definitions, RFM / lifecycle / churn, influence, cascades. */
export function User360Panels({ profile }: { profile: UserProfile }) {
  const { data, error, loading, reload } = useLoad((signal) => getUserTraits(profile.profileId, signal), [profile.profileId]);
  return (
    <Loadable loading={loading && !data} error={error} onRetry={reload}>
      {data && (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={15}>
            <ComputedTraitsCard traits={data.traits} asOf={data.asOf} />
          </Col>
          <Col xs={24} xl={9}>
            <Row gutter={[16, 16]}>
              <Col xs={24}>
                <SegmentsTagsCard profileId={profile.profileId} />
              </Col>
              <Col xs={24}>
                <RfmLifecycleCard data={data} />
              </Col>
            </Row>
          </Col>
          <Col xs={24} xl={10}>
            <InfluenceCard traits={data.traits} profile={profile} />
          </Col>
          <Col xs={24} xl={14}>
            <CascadeCard profile={profile} />
          </Col>
        </Row>
      )}
    </Loadable>
  );
}
