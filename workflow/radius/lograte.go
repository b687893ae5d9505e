package radius

import (
	"sync"
	"time"
)

// logLimit lets through at most burst log lines per reason and period, so a
// flood of bad packets cannot flood the log; the next line that passes says
// how many were suppressed.
type logLimit struct {
	period time.Duration
	burst  int

	mu sync.Mutex
	m  map[string]*logWindow // keyed by the fixed reasons of this package
}

type logWindow struct {
	start      time.Time
	n          int
	suppressed int
}

// allow reports whether a line for reason may be written now, and how many
// were suppressed before it.
func (l *logLimit) allow(reason string, now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]*logWindow)
	}
	w := l.m[reason]
	if w == nil {
		w = &logWindow{start: now}
		l.m[reason] = w
	}
	if now.Sub(w.start) >= l.period {
		w.start, w.n = now, 0
	}
	if w.n >= l.burst {
		w.suppressed++
		return false, 0
	}
	w.n++
	suppressed, w.suppressed = w.suppressed, 0
	return true, suppressed
}
