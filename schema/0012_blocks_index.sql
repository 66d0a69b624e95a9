-- Billing blocks (`cco report blocks`, `cco statusline`, `cco top`) need every
-- usage winner's exact time in order: a block starts at its first entry and
-- ends with its last, which the 15-minute rollups cannot say. The active
-- block is found by reading back from now through this index.
CREATE INDEX usage_winners_time ON usage_winners(timestamp_ms);
