import { AwsQueryError } from './errors.js';
import { stableId } from './resources.js';

/** What AWS accepts as resource ids: 8 or 17 hex digits after the prefix. */
const SUBNET_ID = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SECURITY_GROUP_ID = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const ZONE_LETTERS = 'abcdef';

/**
 * The local ELB has no EC2: any well-formed subnet, security group or VPC id exists. Subnets are placed in
 * Availability Zones in the order they are first seen (a, b, c, …), so two new subnets are in two zones, as the
 * subnets of a real multi-AZ VPC are; every subnet belongs to the account's default VPC.
 */
export class Network {
  readonly region: string;
  readonly defaultVpcId: string;
  readonly defaultSecurityGroupId: string;
  private readonly zones = new Map<string, string>();

  constructor(region: string, accountId: string) {
    this.region = region;
    this.defaultVpcId = `vpc-${stableId('vpc', accountId, 17)}`;
    this.defaultSecurityGroupId = `sg-${stableId('sg', accountId, 17)}`;
  }

  /** The zones of a region, as `us-east-1a` … `us-east-1f`. */
  zoneNames(): string[] {
    return [...ZONE_LETTERS].map((letter) => `${this.region}${letter}`);
  }

  zoneOf(subnetId: string): string {
    let zone = this.zones.get(subnetId);
    if (!zone) {
      zone = `${this.region}${ZONE_LETTERS[this.zones.size % ZONE_LETTERS.length]}`;
      this.zones.set(subnetId, zone);
    }
    return zone;
  }

  /** The subnet the local ELB uses for a zone when only zones are given (Classic AvailabilityZones). */
  subnetFor(zone: string): string {
    const subnet = `subnet-${stableId('subnet', zone, 17)}`;
    this.zones.set(subnet, zone);
    return subnet;
  }

  /** `httpStatus`: InvalidConfigurationRequest is 409 in the Classic API, 400 in ELBv2. */
  checkSubnets(ids: readonly string[], httpStatus = 400): void {
    const bad = ids.find((id) => !SUBNET_ID.test(id));
    if (bad !== undefined) throw new AwsQueryError('SubnetNotFound', `The subnet ID '${bad}' is not valid`);
    if (new Set(ids).size !== ids.length) throw new AwsQueryError('InvalidConfigurationRequest', 'A subnet can be given only once', httpStatus);
  }

  /** Real balancers take one subnet per zone. */
  checkOneSubnetPerZone(ids: readonly string[], httpStatus = 400): void {
    const seen = new Map<string, string>();
    for (const id of ids) {
      const zone = this.zoneOf(id);
      const other = seen.get(zone);
      if (other) throw new AwsQueryError('InvalidConfigurationRequest', `Subnets '${other}' and '${id}' are both in Availability Zone '${zone}': a load balancer takes one subnet per zone`, httpStatus);
      seen.set(zone, id);
    }
  }

  checkSecurityGroups(ids: readonly string[]): void {
    const bad = ids.find((id) => !SECURITY_GROUP_ID.test(id));
    if (bad !== undefined) throw new AwsQueryError('InvalidSecurityGroup', `The security group '${bad}' does not exist`);
  }

  checkZones(zones: readonly string[]): void {
    const known = new Set(this.zoneNames());
    const bad = zones.find((z) => !known.has(z));
    if (bad !== undefined) throw new AwsQueryError('ValidationError', `Availability Zone '${bad}' is not one of ${[...known].join(', ')}`);
  }

  isVpcId(id: string): boolean {
    return VPC_ID.test(id);
  }
}
