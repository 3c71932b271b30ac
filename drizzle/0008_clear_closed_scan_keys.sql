-- A closed scan needs neither its cursor (the last raw business key it paged past) nor its
-- subject filter (a raw id): scans now drop both when they close; this clears those closed before.
UPDATE "lethe"."scans" SET "cursor" = NULL, "subject" = NULL WHERE "status" IN ('done', 'failed') AND ("cursor" IS NOT NULL OR "subject" IS NOT NULL);
