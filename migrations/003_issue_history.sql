-- What the helpdesk needs to spot a fraudulent restore-access request
-- (issue #11): which open request a newer one replaced, so the issue page
-- and the API can show a user's history of requests.
ALTER TABLE user_issues ADD COLUMN replaces bigint REFERENCES user_issues (id) ON DELETE SET NULL;
CREATE INDEX user_issues_replaces_idx ON user_issues (replaces) WHERE replaces IS NOT NULL;
-- A user's requests, newest first (the history on the issue page).
CREATE INDEX user_issues_user_idx ON user_issues (user_id, id DESC);
