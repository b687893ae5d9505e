package notify_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

func newNotifier(t *testing.T, cfg notify.Config) *notify.Notifier {
	t.Helper()
	if cfg.MailFrom == "" {
		cfg.MailFrom = "tokenportal <noreply@example.com>"
	}
	n, err := notify.New(cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func codeMail(to, lang string) workflow.Message {
	return workflow.Message{
		Channel:  workflow.ChannelEmail,
		To:       to,
		Template: notify.TemplateCode,
		Lang:     lang,
		Data:     map[string]string{"code": "481516", "minutes": "10", "purpose": notify.PurposeSignIn},
	}
}

func TestMailGerman(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, serverOpts{})
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + srv.Addr})

	if err := n.Deliver(context.Background(), codeMail("Jörg Müller <joerg@example.com>", "de")); err != nil {
		t.Fatal(err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("got %d mails, want 1", len(mails))
	}
	m := mails[0]
	if m.From != "noreply@example.com" || len(m.To) != 1 || m.To[0] != "joerg@example.com" {
		t.Errorf("envelope: MAIL FROM %q, RCPT TO %q", m.From, m.To)
	}
	if m.TLS {
		t.Error("TLS without a server that offers it?")
	}
	h, body := m.header(t)
	if from := decodeHeader(t, h.Get("From")); !strings.Contains(from, "tokenportal") || !strings.Contains(from, "<noreply@example.com>") {
		t.Errorf("From: %q", from)
	}
	if to := decodeHeader(t, h.Get("To")); to != `"Jörg Müller" <joerg@example.com>` && to != "Jörg Müller <joerg@example.com>" {
		t.Errorf("To: %q", to)
	}
	if subject := decodeHeader(t, h.Get("Subject")); subject != "Ihr Bestätigungscode" {
		t.Errorf("Subject: %q (raw %q)", subject, h.Get("Subject"))
	}
	if ct := h.Get("Content-Type"); !strings.Contains(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "utf-8") {
		t.Errorf("Content-Type: %q", ct)
	}
	if h.Get("Message-ID") == "" || h.Get("Date") == "" {
		t.Errorf("Message-ID %q, Date %q", h.Get("Message-ID"), h.Get("Date"))
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted: %q", h.Get("Auto-Submitted"))
	}
	for _, want := range []string{"481516", "10 Minuten", "zur Anmeldung", "nicht angefordert"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestMailStartTLS(t *testing.T) {
	t.Parallel()
	tlsCfg := selfSigned(t)
	for _, query := range []string{"", "?starttls=opportunistic", "?starttls=required"} {
		t.Run("starttls"+query, func(t *testing.T) {
			t.Parallel()
			srv := startSMTP(t, serverOpts{tls: tlsCfg})
			n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + srv.Addr + query, InsecureSkipVerify: true})
			if err := n.Deliver(context.Background(), codeMail("anna@example.com", "en")); err != nil {
				t.Fatal(err)
			}
			mails := srv.Mails()
			if len(mails) != 1 || !mails[0].TLS {
				t.Fatalf("want one mail over TLS, got %+v", mails)
			}
		})
	}
	t.Run("starttls=none", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, serverOpts{tls: tlsCfg})
		n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + srv.Addr + "?starttls=none"})
		if err := n.Deliver(context.Background(), codeMail("anna@example.com", "en")); err != nil {
			t.Fatal(err)
		}
		if mails := srv.Mails(); len(mails) != 1 || mails[0].TLS {
			t.Fatalf("want one mail in plain text, got %+v", mails)
		}
	})
}

func TestMailStartTLSRequiredButNotOffered(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, serverOpts{})
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + srv.Addr + "?starttls=required"})
	err := n.Deliver(context.Background(), codeMail("anna@example.com", "en"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("want a STARTTLS error, got %v", err)
	}
	if notify.IsPermanent(err) {
		t.Error("a server setting may change; the message must be retried")
	}
	if len(srv.Mails()) != 0 {
		t.Error("mail went out in plain text")
	}
}

func TestMailVerifiesCertificates(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, serverOpts{tls: selfSigned(t)})
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + srv.Addr + "?starttls=required"})
	if err := n.Deliver(context.Background(), codeMail("anna@example.com", "en")); err == nil {
		t.Fatal("a self-signed certificate was accepted without InsecureSkipVerify")
	}
	if len(srv.Mails()) != 0 {
		t.Error("mail delivered")
	}
}

func TestMailImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, serverOpts{tls: selfSigned(t), implicitTLS: true, user: "alice", pass: "s3cret"})
	n := newNotifier(t, notify.Config{SMTPURL: "smtps://alice:s3cret@" + srv.Addr, InsecureSkipVerify: true})
	if err := n.Deliver(context.Background(), codeMail("anna@example.com", "nl")); err != nil {
		t.Fatal(err)
	}
	mails := srv.Mails()
	if len(mails) != 1 || !mails[0].TLS || mails[0].AuthUser != "alice" {
		t.Fatalf("want one authenticated mail over TLS, got %+v", mails)
	}
	if _, body := mails[0].header(t); !strings.Contains(body, "om in te loggen") {
		t.Errorf("Dutch body expected:\n%s", body)
	}
}

func TestMailAuthPlain(t *testing.T) {
	t.Parallel()
	t.Run("STARTTLS", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, serverOpts{tls: selfSigned(t), user: "alice", pass: "p@ss:word"})
		n := newNotifier(t, notify.Config{SMTPURL: "smtp://alice:p%40ss%3Aword@" + srv.Addr, InsecureSkipVerify: true})
		if err := n.Deliver(context.Background(), codeMail("anna@example.com", "en")); err != nil {
			t.Fatal(err)
		}
		if mails := srv.Mails(); len(mails) != 1 || mails[0].AuthUser != "alice" || !mails[0].TLS {
			t.Fatalf("want one authenticated mail over TLS, got %+v", mails)
		}
	})
	t.Run("localhost without TLS", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, serverOpts{user: "alice", pass: "s3cret"})
		n := newNotifier(t, notify.Config{SMTPURL: "smtp://alice:s3cret@" + srv.Addr})
		if err := n.Deliver(context.Background(), codeMail("anna@example.com", "en")); err != nil {
			t.Fatal(err)
		}
		if mails := srv.Mails(); len(mails) != 1 || mails[0].AuthUser != "alice" {
			t.Fatalf("want one authenticated mail, got %+v", mails)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, serverOpts{user: "alice", pass: "s3cret"})
		n := newNotifier(t, notify.Config{SMTPURL: "smtp://alice:nope@" + srv.Addr})
		err := n.Deliver(context.Background(), codeMail("anna@example.com", "en"))
		if err == nil || notify.IsPermanent(err) {
			t.Fatalf("want a retryable error, got %v", err)
		}
		if len(srv.Mails()) != 0 {
			t.Error("mail delivered")
		}
	})
	t.Run("no credentials over plain text to another host", func(t *testing.T) {
		t.Parallel()
		// 127.0.0.2 is loopback too, but not a name the client treats as local.
		if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
			t.Skipf("no 127.0.0.2 here: %v", err)
		} else {
			_ = ln.Close()
		}
		srv := startSMTP(t, serverOpts{addr: "127.0.0.2:0", user: "alice", pass: "s3cret"})
		n := newNotifier(t, notify.Config{SMTPURL: "smtp://alice:s3cret@" + srv.Addr})
		if err := n.Deliver(context.Background(), codeMail("anna@example.com", "en")); err == nil {
			t.Fatal("credentials were offered without TLS")
		}
		if srv.Auths() != 0 || len(srv.Mails()) != 0 {
			t.Error("the server authenticated the client")
		}
	})
}

func TestMailRecipientRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       *smtp.SMTPError
		permanent bool
	}{
		{"no such user", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}, true},
		{"mailbox full", &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}, false},
		{"relaying denied", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSMTP(t, serverOpts{rcptErr: tt.err})
			n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + srv.Addr})
			err := n.Deliver(context.Background(), codeMail("nobody@example.com", "en"))
			if err == nil {
				t.Fatal("delivered")
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", !tt.permanent, tt.permanent, err)
			}
		})
	}
}

func TestMailInvalidAddressIsPermanent(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, serverOpts{})
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + srv.Addr})
	for _, to := range []string{"not an address", "anna@", ""} {
		err := n.Deliver(context.Background(), codeMail(to, "en"))
		if !notify.IsPermanent(err) {
			t.Errorf("To %q: want a permanent error, got %v", to, err)
		}
	}
	if len(srv.Mails()) != 0 {
		t.Error("mail delivered")
	}
}

func TestMailServerDown(t *testing.T) {
	t.Parallel()
	addr := closedPort(t)
	n := newNotifier(t, notify.Config{SMTPURL: "smtp://" + addr})
	err := n.Deliver(context.Background(), codeMail("anna@example.com", "en"))
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("want a retryable error, got %v", err)
	}
}

func TestNotConfigured(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, notify.Config{})
	err := n.Deliver(context.Background(), codeMail("anna@example.com", "en"))
	if !errors.Is(err, notify.ErrNotConfigured) || notify.IsPermanent(err) || !strings.Contains(err.Error(), "SMTP_URL is not configured") {
		t.Errorf("mail: got %v", err)
	}
	sms := codeMail("+31612345678", "en")
	sms.Channel = workflow.ChannelSMS
	err = n.Deliver(context.Background(), sms)
	if !errors.Is(err, notify.ErrNotConfigured) || notify.IsPermanent(err) || !strings.Contains(err.Error(), "SMS_GATEWAY_URL is not configured") {
		t.Errorf("sms: got %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  notify.Config
		ok   bool
	}{
		{"empty", notify.Config{}, true},
		{"smtp", notify.Config{SMTPURL: "smtp://mail.example.com:587", MailFrom: "a@example.com"}, true},
		{"smtp default port", notify.Config{SMTPURL: "smtp://u:p@mail.example.com?starttls=required", MailFrom: "a@example.com"}, true},
		{"smtps", notify.Config{SMTPURL: "smtps://mail.example.com", MailFrom: "a@example.com"}, true},
		{"capture without from", notify.Config{SMTPURL: "smtp://mail.example.com", Capture: true}, true},
		{"sms", notify.Config{SMSGatewayURL: "https://u:p@sms.example.com/send"}, true},
		{"http scheme", notify.Config{SMTPURL: "http://mail.example.com:25", MailFrom: "a@example.com"}, false},
		{"no host", notify.Config{SMTPURL: "smtp://:25", MailFrom: "a@example.com"}, false},
		{"bad port", notify.Config{SMTPURL: "smtp://mail.example.com:smtp", MailFrom: "a@example.com"}, false},
		{"starttls value", notify.Config{SMTPURL: "smtp://mail.example.com?starttls=maybe", MailFrom: "a@example.com"}, false},
		{"unknown parameter", notify.Config{SMTPURL: "smtp://mail.example.com?tls=1", MailFrom: "a@example.com"}, false},
		{"starttls with smtps", notify.Config{SMTPURL: "smtps://mail.example.com?starttls=required", MailFrom: "a@example.com"}, false},
		{"no from", notify.Config{SMTPURL: "smtp://mail.example.com"}, false},
		{"bad from", notify.Config{SMTPURL: "smtp://mail.example.com", MailFrom: "tokenportal"}, false},
		{"sms scheme", notify.Config{SMSGatewayURL: "ftp://sms.example.com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notify.New(tt.cfg, nil)
			if (err == nil) != tt.ok {
				t.Errorf("New(%+v) = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
	// A password in a bad URL must not end up in logs through the error.
	_, err := notify.New(notify.Config{SMTPURL: "smtp://user:topsecret@mail.example.com:x", MailFrom: "a@example.com"}, nil)
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error %v", err)
	}
}

// closedPort returns an address where nothing listens (for now).
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
