package notify_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"tokenportal/workflow/notify"
)

// memStore is a CaptureStore in memory.
type memStore struct {
	mu   sync.Mutex
	sent []notify.Sent
}

func (m *memStore) AddCaptured(_ context.Context, s notify.Sent, keep int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, s)
	if len(m.sent) > keep {
		m.sent = m.sent[len(m.sent)-keep:]
	}
	return nil
}

func (m *memStore) Captured(_ context.Context, max int) ([]notify.Sent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []notify.Sent{}
	for i := len(m.sent) - 1; i >= 0 && len(out) < max; i-- {
		out = append(out, m.sent[i])
	}
	return out, nil
}

// Dev mode keeps what it captured in its store, and its console gets the
// body as lines of text, not one escaped log value.
func TestCaptureStoreAndEcho(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &memStore{}
	var echo bytes.Buffer
	n := newNotifier(t, notify.Config{Capture: true, CaptureStore: store, CaptureEcho: &echo})
	if err := n.Deliver(ctx, codeMail("dev@example.com", "en")); err != nil {
		t.Fatal(err)
	}
	// A new Notifier on the same store (a restart) lists it.
	again := newNotifier(t, notify.Config{Capture: true, CaptureStore: store})
	got, err := again.CapturedContext(ctx)
	if err != nil || len(got) != 1 || got[0].To != "dev@example.com" || !strings.Contains(got[0].Body, "481516") {
		t.Fatalf("after a restart: %+v %v", got, err)
	}
	out := echo.String()
	if !strings.HasPrefix(out, "----- email to dev@example.com (code, en) -----\n") || !strings.Contains(out, "\n481516") && !strings.Contains(out, "481516\n") ||
		!strings.HasSuffix(out, "\n----- end -----\n") || strings.Contains(out, `\n`) {
		t.Fatalf("echo:\n%s", out)
	}
	if strings.Count(out, "\n") < 4 {
		t.Fatalf("the body is not on lines of its own:\n%s", out)
	}
}
