#!/usr/bin/env node
// `npm run bench`: every benchmark, one after the other (each starts its own wrangler dev).
import { benchCustomers } from './customers.mjs';
import { benchFleet } from './fleet.mjs';
import { benchIngest } from './ingest.mjs';

await benchCustomers();
await benchIngest();
await benchFleet();
