package smtptest_test

import (
	"net/smtp"
	"strings"
	"testing"
	"time"

	"tokenportal/workflow/notify/smtptest"
)

func TestServerRecordsAndDecodes(t *testing.T) {
	srv := smtptest.Start(t)
	addr := strings.TrimPrefix(srv.URL(), "smtp://")
	msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCode: 123456 f=C3=BCr Sie\r\n"
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"B@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	m := srv.WaitFor(t, smtptest.ToWith("b@example.com", "Grüße"), 5*time.Second)
	if m.From != "a@example.com" || !strings.Contains(m.Body, "123456 für Sie") {
		t.Fatalf("%+v", m)
	}
	if len(srv.Messages()) != 1 {
		t.Fatalf("%d messages", len(srv.Messages()))
	}
}

func TestServerDownAndBackOnTheSameAddress(t *testing.T) {
	srv := smtptest.Start(t)
	addr := strings.TrimPrefix(srv.URL(), "smtp://")
	msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\n\r\nbody\r\n"
	srv.Close()
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte(msg)); err == nil {
		t.Fatal("a closed server accepted a mail")
	}
	back := smtptest.StartAt(t, addr)
	if back.URL() != srv.URL() {
		t.Fatalf("restarted on %s, want %s", back.URL(), srv.URL())
	}
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	back.WaitFor(t, smtptest.ToWith("b@example.com", "hello"), 5*time.Second)
	if len(srv.Messages()) != 0 || len(back.Messages()) != 1 {
		t.Fatalf("%d and %d messages", len(srv.Messages()), len(back.Messages()))
	}
}
