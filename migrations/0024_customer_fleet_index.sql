-- A customer's fleet as the portal reads it on every dashboard, Equipment view and 15-second
-- poll: the units a customer holds, counted and their nominal hashrate summed per site
-- (src/telemetry/fleet.ts, fleetSitesPrepared), from this index alone and already in site order.
-- Before it, each read walked every assigned unit of the host and looked up each row's customer.
CREATE INDEX `miners_customer_fleet_idx` ON `miners` (`host_id`,`customer_id`,`status`,`site_id`,`nominal_hashrate_mths`);
