-- Version 10 in both dialects (one migration per version in each). In PostgreSQL the big
-- time-series tables become daily partitions, so that retention drops whole days; SQLite has no
-- partitions (its retention deletes in batches), so there is nothing to change here.
SELECT 1;
