-- Executor lease: while an approval is `executing`, the worker running it renews lease_until (ms);
-- recovery (a restarted gateway, a sweeper, a queue retry) takes over only an expired lease, so a
-- gateway starting beside a live one never runs, or fails, what the live one is still executing.
ALTER TABLE approvals ADD COLUMN lease_until BIGINT;
