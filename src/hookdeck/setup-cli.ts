#!/usr/bin/env node
/** `npm run hookdeck:setup -- --cli-path /webhooks/clerk` (or `--url https://…/webhooks/clerk`). */
import { Command } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { exitWithError } from '../cli/process.js';
import { formatSetupResult, parseSetupSettings, upsertClerkConnection, type SetupFlags } from './setup.js';

const program = new Command('hookdeck-setup')
  .description(
    'create or update the Hookdeck connection Clerk → this app: Svix verification, event filter, retries ' +
      '(env: HOOKDECK_API_KEY, CLERK_WEBHOOK_SIGNING_SECRET, optional HOOKDECK_API_URL)',
  )
  .option('--url <url>', 'deliver to this public URL (e.g. https://app.example.com/webhooks/clerk)')
  .option('--cli-path <path>', 'deliver through `hookdeck listen` to this path (e.g. /webhooks/clerk)')
  .option('--source-name <name>', 'Hookdeck source name (default clerk)')
  .option('--destination-name <name>', 'Hookdeck destination name (default cli-<source> or per-user-db)')
  .option('--connection-name <name>', 'Hookdeck connection name (default <source>_to_<destination>)')
  .showHelpAfterError()
  .action(async (flags: SetupFlags) => {
    loadDotenv({ quiet: true });
    const settings = parseSetupSettings(process.env, flags);
    const result = await upsertClerkConnection(settings);
    process.stdout.write(formatSetupResult(result));
  });

program.parseAsync().catch(exitWithError);
