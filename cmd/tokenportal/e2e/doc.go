// Package e2e holds the end-to-end proof of tokenportal: tests that build and
// run the real binary against PostgreSQL — browser flows in headless Chromium,
// several instances sharing one database, faults (database restarts, mail
// server outages, crashes) — and the load test behind the build tag "load".
// It has no code of its own outside tests.
package e2e
