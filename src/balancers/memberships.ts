/** The balancers one instance belongs to: Classic ELB names and target group memberships (group + port). */
export interface Memberships {
  readonly elbNames: readonly string[];
  readonly targetGroups: ReadonlyArray<{ readonly targetGroupArn: string; readonly port: number }>;
}

/** Every set together, each membership once, in a stable order (so a file written from it diffs cleanly). */
export function mergeMemberships(...sets: readonly Memberships[]): Memberships {
  const groups = new Map<string, { targetGroupArn: string; port: number }>();
  for (const g of sets.flatMap((s) => s.targetGroups)) groups.set(`${g.targetGroupArn} ${g.port}`, { targetGroupArn: g.targetGroupArn, port: g.port });
  return {
    elbNames: [...new Set(sets.flatMap((s) => s.elbNames))].sort(),
    targetGroups: [...groups.values()].sort((x, y) => x.targetGroupArn.localeCompare(y.targetGroupArn) || x.port - y.port),
  };
}
