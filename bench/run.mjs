#!/usr/bin/env node
// `npm run bench`: every benchmark, one after the other (each starts its own wrangler dev).
import { benchCustomers } from './customers.mjs';
import { benchIngest } from './ingest.mjs';

await benchCustomers();
await benchIngest();
