import type { Command } from 'commander';
import type { SetupFlags } from '../hookdeck/setup.js';
import type { Environment } from './session.js';

/** `per-user-db hookdeck setup` (alias `npm run hookdeck:setup`): the Hookdeck connection Clerk → this app. */
export function registerHookdeckCommand(program: Command, environment: Environment): void {
  program
    .command('hookdeck')
    .description('Hookdeck in front of the webhook receiver')
    .command('setup')
    .description(
      'create or update the Hookdeck connection Clerk → this app: Svix verification, event filter, retries ' +
        '(env: HOOKDECK_API_KEY, CLERK_WEBHOOK_SIGNING_SECRET, optional HOOKDECK_API_URL)',
    )
    .option('--url <url>', 'deliver to this public URL (e.g. https://app.example.com/webhooks/clerk)')
    .option('--cli-path <path>', 'deliver through `hookdeck listen` to this path (e.g. /webhooks/clerk)')
    .option('--source-name <name>', 'Hookdeck source name (default clerk)')
    .option('--destination-name <name>', 'Hookdeck destination name (default cli-<source> or per-user-db)')
    .option('--connection-name <name>', 'Hookdeck connection name (default <source>_to_<destination>)')
    .action(async (flags: SetupFlags) => {
      // Loaded here: the Hookdeck SDK costs the worker and the receiver, which start through this CLI, ~25 MiB.
      const { formatSetupResult, parseSetupSettings, upsertClerkConnection } = await import('../hookdeck/setup.js');
      const result = await upsertClerkConnection(parseSetupSettings(environment(), flags));
      process.stdout.write(formatSetupResult(result));
    });
}
