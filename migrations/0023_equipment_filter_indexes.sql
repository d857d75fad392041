-- The Equipment list's filter choices read in every Equipment view's first batch, each walked
-- over the host's whole inventory before these (0.2 ms per 1,000 units each, bench/README.md,
-- "Fleet pages without their scans"):
-- the model choices (SELECT DISTINCT model): from this index alone, without reading a row;
CREATE INDEX `miners_host_model_idx` ON `miners` (`host_id`,`model`);
-- the count of units without power data: only units with no nominal power are indexed, the few
-- the count has to look at (src/equipment/power-data.ts, withoutPowerDataFilter, whose first
-- terms are this WHERE, so SQLite can use it).
CREATE INDEX `miners_host_no_power_idx` ON `miners` (`host_id`) WHERE "miners"."status" <> 'retired' AND "miners"."nominal_power_w" IS NULL;
