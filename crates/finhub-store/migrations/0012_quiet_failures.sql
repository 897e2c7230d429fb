-- Runs of failed logins are forgotten a day after their last failure (see the housekeeping
-- purge); each batch finds its rows by that time.
CREATE INDEX login_failures_by_last ON login_failures (last_failure);
