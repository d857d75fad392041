-- PDU metering (issue 17): a site's metered PDUs, read by the facility agent over SNMP, and which
-- unit each outlet feeds. SNMP credentials are stored only as AES-GCM ciphertext (src/pdu/crypto.ts,
-- key PDU_SECRET_KEY); the agent receives them in clear in its config pull, over HTTPS.
CREATE TABLE `pdus` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`site_id` text NOT NULL,
	`name` text NOT NULL,
	`address` text NOT NULL,
	`port` integer DEFAULT 161 NOT NULL,
	`family` text NOT NULL,
	`snmp_version` text NOT NULL,
	`credentials` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pdus_site_address_unique` ON `pdus` (`host_id`,`site_id`,`address`,`port`);--> statement-breakpoint
CREATE TABLE `pdu_outlets` (
	`pdu_id` text NOT NULL,
	`outlet` text NOT NULL,
	`host_id` text NOT NULL,
	`miner_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`pdu_id`, `outlet`),
	FOREIGN KEY (`pdu_id`) REFERENCES `pdus`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`miner_id`) REFERENCES `miners`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- One outlet per unit: its energy comes from one counter.
CREATE UNIQUE INDEX `pdu_outlets_miner_unique` ON `pdu_outlets` (`host_id`,`miner_id`);
