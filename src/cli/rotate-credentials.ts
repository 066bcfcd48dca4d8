import type { Command } from 'commander';
import { z } from 'zod';
import {
  controlCredentialRotation,
  lastCredentialRotation,
  startCredentialRotation,
} from '../client/credential-rotation.js';
import { credentialRotationWorkflowId } from '../workflows/fleet-migration-state.js';
import {
  addTuningOptions,
  followRollout,
  registerRolloutControls,
  tuningOf,
  tuningShape,
  type RolloutCommands,
} from './rollout-commands.js';
import { parseOptions, withTemporal, type Environment, type Session } from './session.js';

const ROTATION: RolloutCommands = {
  command: 'rotate-credentials',
  name: 'credential rotation',
  noun: 'rotation',
  cancelLeaves: 'the rest keep their password',
  workflowId: credentialRotationWorkflowId,
  last: lastCredentialRotation,
  control: controlCredentialRotation,
};

const startOptionsSchema = z.object({
  ...tuningShape,
  detach: z.boolean().default(false),
  json: z.boolean().default(false),
});

async function startRotation(session: Session, options: z.output<typeof startOptionsSchema>): Promise<void> {
  const { config, client } = session;
  const handle = await startCredentialRotation(client, config.temporal.taskQueue, tuningOf(options));
  await followRollout(session, ROTATION, handle, "Rotating every tenant's password", options);
}

/**
 * `per-user-db rotate-credentials` (start a rotation and watch it) and `rotate-credentials
 * status|pause|resume|cancel`: the fleet migration's rollout, re-setting each tenant's password.
 */
export function registerRotateCredentialsCommand(program: Command, environment: Environment): void {
  const rotate = addTuningOptions(
    program
      .command(ROTATION.command)
      .description(
        "re-set every tenant role's password from the workers' current TENANT_PASSWORD_SECRET as a durable " +
          'Temporal workflow (after rotating the secret; keep TENANT_PASSWORD_SECRET_PREVIOUS set until it is done)',
      ),
    'rotated',
  )
    .option('--detach', 'start the rotation and return at once')
    .option('--json', 'print the final report as JSON on stdout')
    .action(async (raw: unknown) => {
      const options = parseOptions(startOptionsSchema, raw);
      await withTemporal(environment, (session) => startRotation(session, options));
    });

  registerRolloutControls(rotate, environment, ROTATION);
}
