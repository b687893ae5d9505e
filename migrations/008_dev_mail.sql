-- The mail and SMS that dev mode captured instead of sending (the /dev/mail
-- page), kept across restarts. Outside dev mode nothing is written here.
CREATE TABLE dev_mail (
    id          bigserial PRIMARY KEY,
    captured_at timestamptz NOT NULL DEFAULT now(),
    channel     text NOT NULL,
    recipient   text NOT NULL,
    template    text NOT NULL,
    lang        text NOT NULL,
    subject     text NOT NULL,
    body        text NOT NULL
);
