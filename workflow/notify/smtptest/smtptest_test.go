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
