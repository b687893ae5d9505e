package admin

import (
	"testing"
	"time"
)

func TestShortDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{0: "0", 15 * time.Minute: "15m", time.Hour: "1h", 90 * time.Minute: "1h30m",
		168 * time.Hour: "168h", 90 * time.Second: "1m30s"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
