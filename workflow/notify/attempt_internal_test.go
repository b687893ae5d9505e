package notify

import (
	"errors"
	"testing"

	"github.com/riverqueue/river"
)

// TestAttemptOutcome: what Config.Attempted hears of an attempt.
func TestAttemptOutcome(t *testing.T) {
	down := errors.New("connection refused")
	cases := []struct {
		name             string
		err              error
		attempt, maxTrys int
		want             string
	}{
		{"delivered", nil, 1, 20, AttemptDelivered},
		{"delivered at the last attempt", nil, 20, 20, AttemptDelivered},
		{"failed, retried", down, 1, 20, AttemptRetry},
		{"failed for the last time", down, 20, 20, AttemptFailed},
		{"permanent failure", river.JobCancel(down), 1, 20, AttemptFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := attemptOutcome(c.err, c.attempt, c.maxTrys); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
