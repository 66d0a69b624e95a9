-- The active billing block without reading back through the history
-- (`cco statusline`, `cco top` ask for it every second): the first usage
-- winner of every 5-hour block (ccusage's rule, src/blocks.h), kept by the
-- writer in the transaction that changes usage_winners. A block starts at
-- its first entry floored to the UTC hour; the active block is read from the
-- last recorded first entry on, a few hours of winners at most.
CREATE TABLE billing_block_starts (
  first_entry_ms INTEGER PRIMARY KEY
);

-- One row: the span of winner times changed since the starts were last
-- brought up to date (both NULL: up to date). The triggers below set it,
-- so no writer changes usage_winners without it; the writer brings the
-- starts up to date and clears it before it commits (RefreshBlockStarts).
-- A reader trusts the recorded starts only before dirty_from_ms.
CREATE TABLE billing_blocks_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  dirty_from_ms INTEGER,
  dirty_to_ms INTEGER
);
-- An existing history: all of it to be walked once, by the first writer.
INSERT INTO billing_blocks_state(id, dirty_from_ms, dirty_to_ms)
  SELECT 1, min(timestamp_ms), max(timestamp_ms) FROM usage_winners;

-- INSERT OR REPLACE replaces a slot's winner, possibly at another time: the
-- replaced row's time is changed too.
CREATE TRIGGER usage_winners_block_insert BEFORE INSERT ON usage_winners BEGIN
  UPDATE billing_blocks_state SET
    dirty_from_ms = min(coalesce(dirty_from_ms, NEW.timestamp_ms), NEW.timestamp_ms,
      coalesce((SELECT timestamp_ms FROM usage_winners WHERE dedup_key = NEW.dedup_key), NEW.timestamp_ms)),
    dirty_to_ms = max(coalesce(dirty_to_ms, NEW.timestamp_ms), NEW.timestamp_ms,
      coalesce((SELECT timestamp_ms FROM usage_winners WHERE dedup_key = NEW.dedup_key), NEW.timestamp_ms));
END;
CREATE TRIGGER usage_winners_block_delete AFTER DELETE ON usage_winners BEGIN
  UPDATE billing_blocks_state SET
    dirty_from_ms = min(coalesce(dirty_from_ms, OLD.timestamp_ms), OLD.timestamp_ms),
    dirty_to_ms = max(coalesce(dirty_to_ms, OLD.timestamp_ms), OLD.timestamp_ms);
END;
CREATE TRIGGER usage_winners_block_update AFTER UPDATE OF timestamp_ms ON usage_winners BEGIN
  UPDATE billing_blocks_state SET
    dirty_from_ms = min(coalesce(dirty_from_ms, OLD.timestamp_ms), OLD.timestamp_ms, NEW.timestamp_ms),
    dirty_to_ms = max(coalesce(dirty_to_ms, OLD.timestamp_ms), OLD.timestamp_ms, NEW.timestamp_ms);
END;
