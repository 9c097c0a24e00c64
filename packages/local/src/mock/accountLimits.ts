import { pageOf } from './paging.js';
import type { QueryRequest } from './queryRequest.js';
import { members, type XmlStruct } from './queryResponse.js';

/** The default quotas AWS answers in DescribeAccountLimits (values as the Elastic Load Balancing quotas pages list them). */
export const CLASSIC_ACCOUNT_LIMITS: ReadonlyArray<[string, string]> = [
  ['classic-load-balancers', '20'],
  ['classic-listeners', '100'],
  ['classic-registered-instances', '1000'],
];

export const V2_ACCOUNT_LIMITS: ReadonlyArray<[string, string]> = [
  ['application-load-balancers', '50'],
  ['listeners-per-application-load-balancer', '50'],
  ['listeners-per-network-load-balancer', '50'],
  ['network-load-balancers', '50'],
  ['target-groups', '3000'],
  ['target-groups-per-action-on-application-load-balancer', '5'],
  ['target-groups-per-action-on-network-load-balancer', '1'],
  ['target-groups-per-application-load-balancer', '100'],
  ['targets-per-application-load-balancer', '1000'],
  ['targets-per-availability-zone-per-network-load-balancer', '500'],
  ['targets-per-network-load-balancer', '3000'],
  ['targets-per-target-group', '1000'],
  ['rules-per-application-load-balancer', '100'],
  ['condition-values-per-alb-rule', '5'],
  ['condition-wildcards-per-alb-rule', '5'],
  ['certificates-per-application-load-balancer', '25'],
  ['certificates-per-network-load-balancer', '25'],
  ['gateway-load-balancers', '100'],
  ['gateway-load-balancers-per-vpc', '100'],
  ['geneve-target-groups', '100'],
  ['targets-per-availability-zone-per-gateway-load-balancer', '300'],
];

export function accountLimitsXml(params: QueryRequest, limits: ReadonlyArray<[string, string]>): XmlStruct {
  const pageSize = params.integer('PageSize', { min: 1, max: 400 }) ?? 400;
  const page = pageOf(limits, params.string('Marker'), pageSize);
  return { Limits: members(page.items.map(([Name, Max]) => ({ Name, Max }))), NextMarker: page.nextMarker };
}
