/**
 * Where the examples run their model: on the main thread by default, or on worker threads with
 * `EXAMPLE_INSTANCE_KIND=KIND_WORKER` (and `EXAMPLE_INSTANCE_COUNT=N` instances), to show that the model and its
 * traces behave the same either way (see docs/workers.md).
 */
import { InstanceGroup, type InstanceKind } from '../src/index.ts';

/** The instance group from `EXAMPLE_INSTANCE_KIND` and `EXAMPLE_INSTANCE_COUNT` (default: one KIND_CPU instance). */
export function exampleInstanceGroup(): InstanceGroup {
  return InstanceGroup({
    kind: (process.env.EXAMPLE_INSTANCE_KIND ?? 'KIND_CPU') as InstanceKind,
    count: Number(process.env.EXAMPLE_INSTANCE_COUNT ?? 1),
  });
}
