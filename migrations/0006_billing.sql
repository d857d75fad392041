-- Written by drizzle-kit generate, then corrected by hand (the snapshot beside it is right):
-- 1. contracts is recreated rather than altered: SQLite cannot ADD a NOT NULL column without a
--    default, and nothing before this release wrote contracts (the table was a placeholder), so
--    there is nothing to carry over. contract_sites is recreated with it (it references it).
-- 2. The two triggers at the end are ours: drizzle-kit has no triggers. They make sealed usage
--    rows immutable in the database itself, whichever code path writes usage_hourly
--    (docs/BILLING.md, "Sealed usage").
DROP TABLE `contract_sites`;--> statement-breakpoint
DROP TABLE `contracts`;--> statement-breakpoint
CREATE TABLE `contracts` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`name` text NOT NULL,
	`currency` text NOT NULL,
	`start_date` text NOT NULL,
	`term_months` integer NOT NULL,
	`end_date` text NOT NULL,
	`auto_renew` integer DEFAULT false NOT NULL,
	`renewal_notice_days` integer DEFAULT 30 NOT NULL,
	`pricing` text,
	`kwh_source` text,
	`energy_rate_micros_per_kwh` integer,
	`efficiency_mj_per_th` integer,
	`monthly_fee_minor` integer,
	`infinity_mths` integer,
	`price_micros_per_th_day` integer,
	`setup_fee_minor` integer DEFAULT 0 NOT NULL,
	`deposit_minor` integer DEFAULT 0 NOT NULL,
	`extensions` integer DEFAULT 0 NOT NULL,
	`notes` text,
	`activated_at` integer,
	`ended_at` integer,
	`end_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `contracts_customer_idx` ON `contracts` (`customer_id`,`status`);--> statement-breakpoint
CREATE INDEX `contracts_host_idx` ON `contracts` (`host_id`,`status`);--> statement-breakpoint
CREATE TABLE `contract_sites` (
	`contract_id` text NOT NULL,
	`site_id` text NOT NULL,
	`host_id` text NOT NULL,
	PRIMARY KEY(`contract_id`, `site_id`),
	FOREIGN KEY (`contract_id`) REFERENCES `contracts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `billing_settings` (
	`host_id` text PRIMARY KEY NOT NULL,
	`default_energy_rate_micros_per_kwh` integer,
	`net_days` integer DEFAULT 15 NOT NULL,
	`billing_day` integer DEFAULT 1 NOT NULL,
	`invoice_prefix` text DEFAULT 'INV' NOT NULL,
	`tax_enabled` integer DEFAULT false NOT NULL,
	`tax_label` text,
	`tax_rate_bps` integer DEFAULT 0 NOT NULL,
	`business_address` text,
	`remit_to` text,
	`invoice_footer` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `contract_miners` (
	`contract_id` text NOT NULL,
	`miner_id` text NOT NULL,
	`host_id` text NOT NULL,
	`active` integer DEFAULT false NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`contract_id`, `miner_id`),
	FOREIGN KEY (`contract_id`) REFERENCES `contracts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`miner_id`) REFERENCES `miners`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contract_miners_one_active` ON `contract_miners` (`miner_id`) WHERE "contract_miners"."active" = 1;--> statement-breakpoint
CREATE INDEX `contract_miners_host_idx` ON `contract_miners` (`host_id`,`miner_id`);--> statement-breakpoint
CREATE TABLE `credits` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`remaining_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`reason` text NOT NULL,
	`payment_id` text,
	`detail` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `credits_customer_idx` ON `credits` (`host_id`,`customer_id`,`remaining_minor`);--> statement-breakpoint
CREATE TABLE `invoice_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`host_id` text NOT NULL,
	`contract_id` text,
	`position` integer NOT NULL,
	`kind` text NOT NULL,
	`description` text NOT NULL,
	`energy_wh` integer,
	`kwh_source` text,
	`rate_micros` integer,
	`unit_count` integer,
	`quantity_text` text,
	`amount_minor` integer NOT NULL,
	`taxable` integer DEFAULT true NOT NULL,
	`detail` text,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `invoice_lines_invoice_idx` ON `invoice_lines` (`invoice_id`,`position`);--> statement-breakpoint
CREATE TABLE `invoices` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`period_key` text NOT NULL,
	`period_start` text NOT NULL,
	`period_end` text NOT NULL,
	`period_from_ms` integer NOT NULL,
	`period_to_ms` integer NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`held` integer DEFAULT false NOT NULL,
	`number` text,
	`number_year` integer,
	`number_seq` integer,
	`currency` text NOT NULL,
	`subtotal_minor` integer DEFAULT 0 NOT NULL,
	`tax_minor` integer DEFAULT 0 NOT NULL,
	`total_minor` integer DEFAULT 0 NOT NULL,
	`paid_minor` integer DEFAULT 0 NOT NULL,
	`issued_on` text,
	`due_on` text,
	`issued_at` integer,
	`paid_at` integer,
	`emailed_at` integer,
	`voided_at` integer,
	`void_reason` text,
	`replaces_invoice_id` text,
	`generated_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_one_per_period` ON `invoices` (`host_id`,`customer_id`,`period_key`) WHERE "invoices"."status" <> 'void';--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_number_unique` ON `invoices` (`host_id`,`number_year`,`number_seq`);--> statement-breakpoint
CREATE INDEX `invoices_host_status_idx` ON `invoices` (`host_id`,`status`,`due_on`);--> statement-breakpoint
CREATE INDEX `invoices_customer_idx` ON `invoices` (`host_id`,`customer_id`,`period_key`);--> statement-breakpoint
CREATE TABLE `payment_allocations` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`invoice_id` text NOT NULL,
	`payment_id` text,
	`credit_id` text,
	`amount_minor` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`credit_id`) REFERENCES `credits`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `payment_allocations_invoice_idx` ON `payment_allocations` (`invoice_id`);--> statement-breakpoint
CREATE INDEX `payment_allocations_payment_idx` ON `payment_allocations` (`payment_id`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`method` text NOT NULL,
	`reference` text,
	`received_on` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`notes` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `payments_customer_idx` ON `payments` (`host_id`,`customer_id`,`received_on`);--> statement-breakpoint
CREATE TABLE `usage_adjustments` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text NOT NULL,
	`miner_id` text NOT NULL,
	`hour_start` integer NOT NULL,
	`customer_id` text,
	`old_energy_wh` integer NOT NULL,
	`new_energy_wh` integer NOT NULL,
	`delta_wh` integer NOT NULL,
	`energy_source` text NOT NULL,
	`detected_at` integer NOT NULL,
	`invoice_id` text
);
--> statement-breakpoint
CREATE INDEX `usage_adjustments_customer_idx` ON `usage_adjustments` (`host_id`,`customer_id`,`invoice_id`);--> statement-breakpoint
CREATE TABLE `usage_seal_days` (
	`site_id` text NOT NULL,
	`day` text NOT NULL,
	`host_id` text NOT NULL,
	`sealed_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `day`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `usage_seal_days_host_idx` ON `usage_seal_days` (`host_id`,`day`);--> statement-breakpoint
CREATE TABLE `usage_seals` (
	`site_id` text NOT NULL,
	`customer_key` text NOT NULL,
	`day` text NOT NULL,
	`host_id` text NOT NULL,
	`row_count` integer NOT NULL,
	`energy_wh` integer NOT NULL,
	`hash` text NOT NULL,
	`prev_hash` text NOT NULL,
	`sealed_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `customer_key`, `day`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `usage_seals_host_idx` ON `usage_seals` (`host_id`,`customer_key`,`day`);--> statement-breakpoint
ALTER TABLE `customers` ADD `tax_exempt` integer DEFAULT false NOT NULL;
--> statement-breakpoint
-- A late write to an hour of a sealed (site, UTC day) never rewrites the row: the difference is
-- recorded as an adjustment and the write is skipped (RAISE(IGNORE) skips this row only).
CREATE TRIGGER `usage_hourly_sealed_update` BEFORE UPDATE ON `usage_hourly`
WHEN EXISTS (SELECT 1 FROM `usage_seal_days` d WHERE d.`site_id` = OLD.`site_id` AND d.`day` = strftime('%Y-%m-%d', OLD.`hour_start` / 1000, 'unixepoch'))
BEGIN
	INSERT INTO `usage_adjustments` (`id`, `host_id`, `site_id`, `miner_id`, `hour_start`, `customer_id`, `old_energy_wh`, `new_energy_wh`, `delta_wh`, `energy_source`, `detected_at`, `invoice_id`)
	SELECT lower(hex(randomblob(16))), OLD.`host_id`, OLD.`site_id`, OLD.`miner_id`, OLD.`hour_start`, OLD.`customer_id`, OLD.`energy_wh`, NEW.`energy_wh`, NEW.`energy_wh` - OLD.`energy_wh`, NEW.`energy_source`, CAST(strftime('%s', 'now') AS INTEGER) * 1000, NULL
	WHERE NEW.`energy_wh` IS NOT OLD.`energy_wh`;
	SELECT RAISE(IGNORE);
END;--> statement-breakpoint
CREATE TRIGGER `usage_hourly_sealed_insert` BEFORE INSERT ON `usage_hourly`
WHEN EXISTS (SELECT 1 FROM `usage_seal_days` d WHERE d.`site_id` = NEW.`site_id` AND d.`day` = strftime('%Y-%m-%d', NEW.`hour_start` / 1000, 'unixepoch'))
	AND NOT EXISTS (SELECT 1 FROM `usage_hourly` u WHERE u.`miner_id` = NEW.`miner_id` AND u.`hour_start` = NEW.`hour_start`)
BEGIN
	INSERT INTO `usage_adjustments` (`id`, `host_id`, `site_id`, `miner_id`, `hour_start`, `customer_id`, `old_energy_wh`, `new_energy_wh`, `delta_wh`, `energy_source`, `detected_at`, `invoice_id`)
	VALUES (lower(hex(randomblob(16))), NEW.`host_id`, NEW.`site_id`, NEW.`miner_id`, NEW.`hour_start`, NEW.`customer_id`, 0, NEW.`energy_wh`, NEW.`energy_wh`, NEW.`energy_source`, CAST(strftime('%s', 'now') AS INTEGER) * 1000, NULL);
	SELECT RAISE(IGNORE);
END;
