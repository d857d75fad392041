-- Energy a host can bill (issue 17): unknown energy is NULL (never 0 Wh), a host's own miner
-- models, and the catalogue match recorded on units.

-- usage_hourly.energy_wh becomes nullable: SQLite cannot drop NOT NULL, so the table is rebuilt
-- (same columns, keys and indexes) and its sealed-day triggers re-created, null-safe: an unknown
-- hour counts as 0 Wh in an adjustment's old value and a write of unknown energy records none.
CREATE TABLE `usage_hourly_new` (
	`miner_id` text NOT NULL,
	`hour_start` integer NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text NOT NULL,
	`customer_id` text,
	`energy_wh` integer,
	`energy_source` text NOT NULL,
	`avg_hashrate_mths` integer NOT NULL,
	`online_seconds` integer NOT NULL,
	`samples` integer NOT NULL,
	PRIMARY KEY(`miner_id`, `hour_start`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `usage_hourly_new` SELECT `miner_id`, `hour_start`, `host_id`, `site_id`, `customer_id`, `energy_wh`, `energy_source`, `avg_hashrate_mths`, `online_seconds`, `samples` FROM `usage_hourly`;--> statement-breakpoint
DROP TABLE `usage_hourly`;--> statement-breakpoint
ALTER TABLE `usage_hourly_new` RENAME TO `usage_hourly`;--> statement-breakpoint
CREATE INDEX `usage_customer_idx` ON `usage_hourly` (`host_id`,`customer_id`,`hour_start`);--> statement-breakpoint
CREATE INDEX `usage_site_idx` ON `usage_hourly` (`host_id`,`site_id`,`hour_start`);--> statement-breakpoint
CREATE TRIGGER `usage_hourly_sealed_update` BEFORE UPDATE ON `usage_hourly`
WHEN EXISTS (SELECT 1 FROM `usage_seal_days` d WHERE d.`site_id` = OLD.`site_id` AND d.`day` = strftime('%Y-%m-%d', OLD.`hour_start` / 1000, 'unixepoch'))
BEGIN
	INSERT INTO `usage_adjustments` (`id`, `host_id`, `site_id`, `miner_id`, `hour_start`, `customer_id`, `old_energy_wh`, `new_energy_wh`, `delta_wh`, `energy_source`, `detected_at`, `invoice_id`)
	SELECT lower(hex(randomblob(16))), OLD.`host_id`, OLD.`site_id`, OLD.`miner_id`, OLD.`hour_start`, OLD.`customer_id`, COALESCE(OLD.`energy_wh`, 0), NEW.`energy_wh`, NEW.`energy_wh` - COALESCE(OLD.`energy_wh`, 0), NEW.`energy_source`, CAST(strftime('%s', 'now') AS INTEGER) * 1000, NULL
	WHERE NEW.`energy_wh` IS NOT NULL AND NEW.`energy_wh` IS NOT OLD.`energy_wh`;
	SELECT RAISE(IGNORE);
END;--> statement-breakpoint
CREATE TRIGGER `usage_hourly_sealed_insert` BEFORE INSERT ON `usage_hourly`
WHEN EXISTS (SELECT 1 FROM `usage_seal_days` d WHERE d.`site_id` = NEW.`site_id` AND d.`day` = strftime('%Y-%m-%d', NEW.`hour_start` / 1000, 'unixepoch'))
	AND NOT EXISTS (SELECT 1 FROM `usage_hourly` u WHERE u.`miner_id` = NEW.`miner_id` AND u.`hour_start` = NEW.`hour_start`)
BEGIN
	INSERT INTO `usage_adjustments` (`id`, `host_id`, `site_id`, `miner_id`, `hour_start`, `customer_id`, `old_energy_wh`, `new_energy_wh`, `delta_wh`, `energy_source`, `detected_at`, `invoice_id`)
	SELECT lower(hex(randomblob(16))), NEW.`host_id`, NEW.`site_id`, NEW.`miner_id`, NEW.`hour_start`, NEW.`customer_id`, 0, NEW.`energy_wh`, NEW.`energy_wh`, NEW.`energy_source`, CAST(strftime('%s', 'now') AS INTEGER) * 1000, NULL
	WHERE NEW.`energy_wh` IS NOT NULL;
	SELECT RAISE(IGNORE);
END;--> statement-breakpoint
-- A host's own miner models (Settings → Models); matched by normalised name before the built-in
-- catalogue (src/equipment/models.ts).
CREATE TABLE `host_models` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`name` text NOT NULL,
	`match_key` text NOT NULL,
	`nominal_hashrate_mths` integer NOT NULL,
	`nominal_power_w` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `host_models_key_unique` ON `host_models` (`host_id`,`match_key`);
