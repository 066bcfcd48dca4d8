import type { Client } from '@temporalio/client';
import type { ClerkClient } from '../clerk/client.js';
import type { Migration } from '../migrations/index.js';
import type { DatabaseProvider } from '../providers/types.js';
import { createDeprovisionActivities } from './deprovision.js';
import { createFleetActivities, createFleetClerkActivities } from './fleet.js';
import { createProvisionActivities, createProvisionClerkActivities } from './provision.js';
import { createReconcileActivities, createReconcileClerkActivities, type RepairStarters } from './reconcile.js';
import type { RegionByCountry } from './region.js';

export interface ActivityDeps {
  provider: DatabaseProvider;
  migrations: Migration[];
  clerk: ClerkClient;
  /** Deprovisioning stops the user's provisioning run through it. */
  temporal: Client;
  starters: RepairStarters;
  /** REGION_BY_COUNTRY: the operator's country → region names, tried before the built-in table. */
  regionByCountry?: RegionByCountry;
}

/**
 * Every activity, by the task queue it runs on: `main` (tenant databases, Temporal) and `clerk` (Clerk calls,
 * rate-limited server-side for the whole fleet).
 */
export function createActivities({ provider, migrations, clerk, temporal, starters, regionByCountry }: ActivityDeps) {
  return {
    main: {
      ...createProvisionActivities({ provider, migrations, regionByCountry }),
      ...createFleetActivities({ provider, migrations }),
      ...createReconcileActivities({ provider, starters }),
      ...createDeprovisionActivities({ provider, temporal }),
    },
    clerk: {
      ...createProvisionClerkActivities({ clerk }),
      ...createFleetClerkActivities({ clerk }),
      ...createReconcileClerkActivities({ clerk }),
    },
  };
}
