package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"tokenportal/workflow"
	"tokenportal/workflow/notify"
)

// gateway is a local SMS gateway answering with the next of its statuses
// (the last one repeats) and recording what it was sent.
type gateway struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []smsRequest
}

type smsRequest struct {
	To, Text, ContentType, User string
}

func startGateway(t *testing.T, statuses ...int) *gateway {
	t.Helper()
	g := &gateway{statuses: statuses}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		user, _, _ := r.BasicAuth()
		g.mu.Lock()
		g.got = append(g.got, smsRequest{To: r.PostForm.Get("to"), Text: r.PostForm.Get("text"), ContentType: r.Header.Get("Content-Type"), User: user})
		status := http.StatusOK
		if len(g.statuses) > 0 {
			status = g.statuses[0]
			if len(g.statuses) > 1 {
				g.statuses = g.statuses[1:]
			}
		}
		g.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status)))
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) Requests() []smsRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]smsRequest(nil), g.got...)
}

func smsCode(to, lang string) workflow.Message {
	m := codeMail(to, lang)
	m.Channel = workflow.ChannelSMS
	return m
}

func TestSMS(t *testing.T) {
	t.Parallel()
	g := startGateway(t, http.StatusAccepted)
	n := newNotifier(t, notify.Config{SMSGatewayURL: strings.Replace(g.URL, "http://", "http://smsuser:pw@", 1) + "/send"})
	if err := n.Deliver(context.Background(), smsCode("+49 170 123-4567", "de")); err != nil {
		t.Fatal(err)
	}
	got := g.Requests()
	if len(got) != 1 {
		t.Fatalf("gateway got %d requests", len(got))
	}
	r := got[0]
	if r.To != "+491701234567" || r.ContentType != "application/x-www-form-urlencoded" || r.User != "smsuser" {
		t.Errorf("request %+v", r)
	}
	if want := "Ihr Bestätigungscode: 481516 (gültig 10 Min.). Nicht weitergeben."; r.Text != want {
		t.Errorf("text %q, want %q", r.Text, want)
	}
	if utf8.RuneCountInString(r.Text) > 160 {
		t.Errorf("SMS longer than 160 characters")
	}
}

func TestSMSFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusServiceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, tt.status)
			n := newNotifier(t, notify.Config{SMSGatewayURL: g.URL})
			err := n.Deliver(context.Background(), smsCode("+31612345678", "nl"))
			if err == nil {
				t.Fatal("no error")
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", !tt.permanent, tt.permanent, err)
			}
		})
	}
	t.Run("gateway down", func(t *testing.T) {
		t.Parallel()
		n := newNotifier(t, notify.Config{SMSGatewayURL: "http://" + closedPort(t) + "/send"})
		if err := n.Deliver(context.Background(), smsCode("+31612345678", "nl")); err == nil || notify.IsPermanent(err) {
			t.Fatalf("want a retryable error, got %v", err)
		}
	})
	t.Run("bad number", func(t *testing.T) {
		t.Parallel()
		g := startGateway(t)
		n := newNotifier(t, notify.Config{SMSGatewayURL: g.URL})
		for _, to := range []string{"call me", "12", "+31 6 1234 5678 9012 345"} {
			if err := n.Deliver(context.Background(), smsCode(to, "nl")); !notify.IsPermanent(err) {
				t.Errorf("%q: want a permanent error, got %v", to, err)
			}
		}
		if len(g.Requests()) != 0 {
			t.Error("the gateway was called")
		}
	})
}
