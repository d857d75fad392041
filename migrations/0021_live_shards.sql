-- Sharded live state (issue 14, docs/ARCHITECTURE.md "One site of 50,000 units: shard it"): how
-- many SiteState objects serve the site. 1 = today's single object named by the site id; a site
-- past 12,500 units a shard grows to ceil(units / 12,500) when equipment is added, imported or
-- moved to it. Never lowered automatically.
ALTER TABLE `sites` ADD `live_shards` integer DEFAULT 1 NOT NULL CHECK (`live_shards` >= 1);
