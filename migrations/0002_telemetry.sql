CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text NOT NULL,
	`name` text NOT NULL,
	`code_hash` text,
	`code_expires_at` integer,
	`token_hash` text,
	`registered_at` integer,
	`revoked_at` integer,
	`last_seen_at` integer,
	`version` text,
	`hostname` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_code_unique` ON `agents` (`code_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `agents_token_unique` ON `agents` (`token_hash`);--> statement-breakpoint
CREATE INDEX `agents_site_idx` ON `agents` (`host_id`,`site_id`);--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`host_id` text PRIMARY KEY NOT NULL,
	`offline_minutes` integer NOT NULL,
	`low_hashrate_pct` integer NOT NULL,
	`low_hashrate_minutes` integer NOT NULL,
	`over_temp_c` integer NOT NULL,
	`over_temp_minutes` integer NOT NULL,
	`cooldown_minutes` integer NOT NULL,
	`email_customer` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text NOT NULL,
	`miner_id` text NOT NULL,
	`customer_id` text,
	`kind` text NOT NULL,
	`detail` text,
	`opened_at` integer NOT NULL,
	`closed_at` integer,
	`emailed_at` integer,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alerts_host_idx` ON `alerts` (`host_id`,`closed_at`,`opened_at`);--> statement-breakpoint
CREATE INDEX `alerts_customer_idx` ON `alerts` (`customer_id`,`closed_at`);--> statement-breakpoint
CREATE INDEX `alerts_miner_idx` ON `alerts` (`miner_id`,`kind`,`closed_at`);--> statement-breakpoint
CREATE TABLE `network_segments` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text NOT NULL,
	`cidr` text NOT NULL,
	`label` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `network_segments_site_cidr_unique` ON `network_segments` (`site_id`,`cidr`);--> statement-breakpoint
CREATE INDEX `network_segments_host_idx` ON `network_segments` (`host_id`);--> statement-breakpoint
CREATE TABLE `usage_hourly` (
	`miner_id` text NOT NULL,
	`hour_start` integer NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text NOT NULL,
	`customer_id` text,
	`energy_wh` integer NOT NULL,
	`energy_source` text NOT NULL,
	`avg_hashrate_mths` integer NOT NULL,
	`online_seconds` integer NOT NULL,
	`samples` integer NOT NULL,
	PRIMARY KEY(`miner_id`, `hour_start`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `usage_customer_idx` ON `usage_hourly` (`host_id`,`customer_id`,`hour_start`);--> statement-breakpoint
CREATE INDEX `usage_site_idx` ON `usage_hourly` (`host_id`,`site_id`,`hour_start`);--> statement-breakpoint
ALTER TABLE `miners` ADD `owner_pool_url` text;--> statement-breakpoint
ALTER TABLE `miners` ADD `owner_pool_user` text;--> statement-breakpoint
CREATE UNIQUE INDEX `miners_host_mac_unique` ON `miners` (`host_id`,`mac`);--> statement-breakpoint
CREATE UNIQUE INDEX `miners_host_serial_unique` ON `miners` (`host_id`,`serial`);--> statement-breakpoint
CREATE UNIQUE INDEX `miners_site_ip_anonymous_unique` ON `miners` (`host_id`,`site_id`,`ip`) WHERE "miners"."mac" IS NULL AND "miners"."serial" IS NULL;