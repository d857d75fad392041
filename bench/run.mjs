#!/usr/bin/env node
// `npm run bench`: every benchmark, one after the other (each starts its own wrangler dev;
// the site row feeds one 50,000-unit site for ten simulated minutes; the agent row runs the
// facility agent against the miner simulator).
import { benchAgent } from './agent.mjs';
import { benchBilling } from './billing.mjs';
import { benchCustomers } from './customers.mjs';
import { benchFleet } from './fleet.mjs';
import { benchIngest } from './ingest.mjs';
import { benchSite } from './site.mjs';

await benchCustomers();
await benchIngest();
await benchFleet();
await benchSite();
await benchAgent();
await benchBilling();
