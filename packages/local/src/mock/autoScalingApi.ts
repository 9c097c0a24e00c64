import type { AutoScalingStore } from './autoScalingStore.js';
import type { ActionHandler } from './classicApi.js';
import { pageOf } from './paging.js';
import { members } from './queryResponse.js';

export const AUTO_SCALING_API_VERSION = '2011-01-01';

// The botocore model's constraints (autoscaling/2011-01-01/service-2.json).
const GROUP_NAME = { required: true, minLength: 1, maxLength: 255 } as const;
const HOOK_NAME = { required: true, minLength: 1, maxLength: 255, pattern: /^[A-Za-z0-9\-_/]+$/ } as const;
const INSTANCE_ID = { minLength: 1, maxLength: 19 } as const;
const TOKEN = { minLength: 36, maxLength: 36 } as const;
const MAX_INSTANCE_IDS = 20;

/**
 * The Auto Scaling actions (API 2011-01-01) the local ELB answers, the subset an instance uses to leave: reading its
 * group and hooks, completing or extending a lifecycle action, and Standby. Any other action is InvalidAction.
 */
export function autoScalingActions(store: AutoScalingStore): Record<string, ActionHandler> {
  return {
    DescribeAutoScalingInstances(params) {
      const ids = params.stringList('InstanceIds', { maxItems: 50 });
      const maxRecords = params.integer('MaxRecords', { min: 1, max: 50 });
      const page = pageOf(store.describeInstances(ids), params.string('NextToken'), maxRecords ?? 50);
      return {
        AutoScalingInstances: members(
          page.items.map((i) => ({
            InstanceId: i.instanceId,
            InstanceType: 't3.micro',
            AutoScalingGroupName: i.group,
            AvailabilityZone: i.availabilityZone,
            LifecycleState: i.state,
            HealthStatus: 'HEALTHY',
            ProtectedFromScaleIn: false,
          })),
        ),
        NextToken: page.nextMarker,
      };
    },

    DescribeLifecycleHooks(params) {
      const group = params.string('AutoScalingGroupName', GROUP_NAME);
      const names = params.stringList('LifecycleHookNames', { maxItems: 50 });
      return {
        LifecycleHooks: members(
          store.lifecycleHooks(group, names).map((h) => ({
            LifecycleHookName: h.name,
            AutoScalingGroupName: group,
            LifecycleTransition: h.transition,
            HeartbeatTimeout: h.heartbeatTimeoutSeconds,
            GlobalTimeout: Math.min(h.heartbeatTimeoutSeconds * 100, 172_800),
            DefaultResult: h.defaultResult,
          })),
        ),
      };
    },

    CompleteLifecycleAction(params) {
      const group = params.string('AutoScalingGroupName', GROUP_NAME);
      const hook = params.string('LifecycleHookName', HOOK_NAME);
      const result = params.string('LifecycleActionResult', { required: true, oneOf: ['CONTINUE', 'ABANDON'] }) as 'CONTINUE' | 'ABANDON';
      const { instanceId, token } = actionTarget(params);
      store.completeLifecycleAction({ group, hook, result, instanceId, token });
      return {};
    },

    RecordLifecycleActionHeartbeat(params) {
      const group = params.string('AutoScalingGroupName', GROUP_NAME);
      const hook = params.string('LifecycleHookName', HOOK_NAME);
      const { instanceId, token } = actionTarget(params);
      store.recordHeartbeat({ group, hook, instanceId, token });
      return {};
    },

    EnterStandby(params) {
      const group = params.string('AutoScalingGroupName', GROUP_NAME);
      const decrement = params.boolean('ShouldDecrementDesiredCapacity', { required: true });
      const ids = params.stringList('InstanceIds', { maxItems: MAX_INSTANCE_IDS }) ?? [];
      return { Activities: members(store.enterStandby(group, ids, decrement).map((a) => ({ ...a }))) };
    },

    ExitStandby(params) {
      const group = params.string('AutoScalingGroupName', GROUP_NAME);
      const ids = params.stringList('InstanceIds', { maxItems: MAX_INSTANCE_IDS }) ?? [];
      return { Activities: members(store.exitStandby(group, ids).map((a) => ({ ...a }))) };
    },
  };
}

/** A lifecycle action is named by its instance id or by its token; AWS wants one of them. */
function actionTarget(params: Parameters<ActionHandler>[0]): { instanceId: string | undefined; token: string | undefined } {
  const instanceId = params.string('InstanceId', INSTANCE_ID);
  const token = params.string('LifecycleActionToken', TOKEN);
  if (instanceId === undefined && token === undefined) throw params.invalid('InstanceId', null, 'Member must not be null when LifecycleActionToken is absent');
  return { instanceId, token };
}
