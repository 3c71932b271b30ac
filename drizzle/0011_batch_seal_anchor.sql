ALTER TABLE "lethe"."batches" ADD COLUMN "seal_hash" text;--> statement-breakpoint
ALTER TABLE "lethe"."batches" ADD COLUMN "evidence_records" integer;