import { cpus, platform, release, totalmem } from 'node:os';

/** Where a figure was measured: printed with every report and bench table. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown CPU',
    cpuCount: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cpuCount} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`;
}
