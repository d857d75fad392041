-- Fixed fees for units whose energy cannot be billed (issue 17): staff bill a unit a fixed fee
-- for one customer's billing period instead of its energy (docs/BILLING.md, "Units without power
-- data"). Keyed by (customer, period, unit), not by invoice: the preview shows it before any
-- draft exists, regenerating a draft keeps it, and a corrected invoice of the period applies it
-- again. The amount is in the invoice's currency, integer minor units.
CREATE TABLE `invoice_unit_fees` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`period_key` text NOT NULL,
	`miner_id` text NOT NULL,
	`currency` text NOT NULL,
	`amount_minor` integer NOT NULL CHECK (`amount_minor` > 0),
	`note` text,
	`set_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`miner_id`) REFERENCES `miners`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoice_unit_fees_unique` ON `invoice_unit_fees` (`host_id`,`customer_id`,`period_key`,`miner_id`);
