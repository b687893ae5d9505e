-- Approval of new tokens (SPEC §15, issue #16).
--
-- A portal with approve_new_tokens stores a token registered, claimed or
-- re-assigned there as pending: disabled with the reason 'pending', so no
-- path that asks for an enabled token (sign-in, step-up, validate, RADIUS)
-- can use it. A re-assignment's pending token names the token it replaces;
-- that one keeps working until the helpdesk approves.
ALTER TABLE portals ADD COLUMN approve_new_tokens boolean NOT NULL DEFAULT false;

ALTER TABLE tokens DROP CONSTRAINT tokens_disabled_reason_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_disabled_reason_check
    CHECK (disabled_reason IN ('admin', 'lost', 'reassigned', 'pending'));
ALTER TABLE tokens ADD COLUMN replaces bigint REFERENCES tokens (id) ON DELETE SET NULL;
ALTER TABLE tokens ADD CONSTRAINT tokens_replaces_pending
    CHECK (replaces IS NULL OR disabled_reason = 'pending');
-- A pending token always belongs to a user on a resource.
ALTER TABLE tokens ADD CONSTRAINT tokens_pending_assigned
    CHECK (disabled_reason IS DISTINCT FROM 'pending' OR (user_id IS NOT NULL AND resource_id IS NOT NULL));

-- User issues gain a kind: restore (SPEC §6) or enrolment (SPEC §15). An
-- enrolment issue names its pending token (kept by serial and type for the
-- record once the token is gone) and carries, in enrolment, what the
-- helpdesk judges it by: how the user came to add it (registered, claimed,
-- reassigned), the token it replaces, how the session signed in, whether
-- the address was in a trusted network, and that a right first code was
-- entered. Its evidence columns say which factors the session proved.
ALTER TABLE user_issues
    ADD COLUMN kind text NOT NULL DEFAULT 'restore' CHECK (kind IN ('restore', 'enrolment')),
    ADD COLUMN token_id bigint REFERENCES tokens (id) ON DELETE SET NULL,
    ADD COLUMN token_serial text CHECK (length(token_serial) <= 64),
    ADD COLUMN token_type text CHECK (length(token_type) <= 16),
    ADD COLUMN enrolment jsonb,
    -- The helpdesk's note on verifying or deleting ("called the user on …").
    ADD COLUMN note text CHECK (length(note) <= 1000);
ALTER TABLE user_issues DROP CONSTRAINT user_issues_lost_check;
ALTER TABLE user_issues ADD CONSTRAINT user_issues_lost_check CHECK (
    CASE kind
        WHEN 'restore' THEN cardinality(lost) BETWEEN 1 AND 3 AND lost <@ ARRAY['token', 'password', 'email']
        ELSE cardinality(lost) = 0
    END);
ALTER TABLE user_issues ADD CONSTRAINT user_issues_enrolment_kind CHECK (
    (kind = 'enrolment') = (enrolment IS NOT NULL AND token_serial IS NOT NULL AND token_type IS NOT NULL));
ALTER TABLE user_issues ADD CONSTRAINT user_issues_note_handled CHECK (note IS NULL OR status <> 'open');

-- At most one open restore-access request per user and resource (a newer
-- one replaces it), and one open enrolment issue per pending token.
DROP INDEX user_issues_open_key;
CREATE UNIQUE INDEX user_issues_open_key ON user_issues (user_id, resource_id) WHERE status = 'open' AND kind = 'restore';
CREATE UNIQUE INDEX user_issues_open_token_key ON user_issues (token_id) WHERE status = 'open' AND kind = 'enrolment';
CREATE INDEX user_issues_kind_idx ON user_issues (kind, status, created_at DESC);

-- A user whose first token the helpdesk approved gets recovery codes at their
-- next portal visit with a second factor: they were not shown while the
-- token was pending, since codes would have been a second factor before
-- the approval.
ALTER TABLE users ADD COLUMN recovery_codes_due boolean NOT NULL DEFAULT false;
