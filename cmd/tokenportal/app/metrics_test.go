package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"tokenportal/cmd/tokenportal/app"
	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

// requestCount is tokenportal_http_requests_total for route, method and
// status in reg.
func requestCount(t *testing.T, reg prometheus.Gatherer, route, method, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tokenportal_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["route"] == route && l["method"] == method && l["status"] == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// Requests are labelled by route pattern, never by path; unknown routes are
// one label and invented methods one more, so a stranger cannot make series.
func TestMetricsHTTPLabels(t *testing.T) {
	env := apptest.New(t, nil)
	reg := env.App.Metrics.Registry
	send := func(method, path string) {
		t.Helper()
		req, _ := http.NewRequest(method, env.Server.URL+path, nil)
		req.Header.Set("Authorization", "Bearer not-a-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send(http.MethodGet, "/api/v1/users/4711")
	send(http.MethodGet, "/api/v1/users/alice")
	send(http.MethodGet, "/no/such/page/alice")
	send("FROBNICATE", "/api/v1/users/alice")

	if n := requestCount(t, reg, "/api/v1/users/:id", "GET", "401"); n != 2 {
		t.Errorf("GET /api/v1/users/:id 401 counted %v times, want 2", n)
	}
	if n := requestCount(t, reg, "unmatched", "GET", "404"); n != 1 {
		t.Errorf("unmatched GET 404 counted %v times, want 1", n)
	}
	if n := requestCount(t, reg, "unmatched", "other", "404"); n+requestCount(t, reg, "unmatched", "other", "405") != 1 {
		t.Errorf("the invented method was not counted once as other")
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "alice") || strings.Contains(l.GetValue(), "4711") || strings.Contains(l.GetValue(), "FROB") {
					t.Errorf("%s has label %s=%q", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// A database that does not answer leaves its series out of a scrape; the
// rest (the pool, the runtime, the counters) is still served.
func TestMetricsWithoutDatabase(t *testing.T) {
	pool, err := app.OpenPool(context.Background(), storetest.URL())
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
	m := app.NewMetrics(pool, store.New(pool))
	srv := httptest.NewServer(m.Handler(apptest.Logger()))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s\n%s", resp.Status, body)
	}
	for _, want := range []string{"tokenportal_db_pool_max_conns", "tokenportal_validations_total", "go_goroutines", "tokenportal_build_info"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %s without a database", want)
		}
	}
	for _, gone := range []string{"tokenportal_open_issues{", "tokenportal_messages_queued{"} {
		if strings.Contains(string(body), gone) {
			t.Errorf("%s served without a database", gone)
		}
	}
	// Only /metrics is served there.
	resp, err = http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET / on the metrics listener: %s", resp.Status)
	}
}
