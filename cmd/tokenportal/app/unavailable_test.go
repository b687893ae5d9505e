package app_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
)

// TestDatabaseDownIs503: when the database cannot be reached, pages and
// the API answer a clean 503 "temporarily unavailable" at once, not a 500
// (the e2e fault test restarts a real database under load).
func TestDatabaseDownIs503(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now
	cfg := apptest.Config(t)
	cfg.DatabaseURL = "postgres://nobody@" + addr + "/none?sslmode=disable"
	env := apptest.New(t, &cfg)
	b := env.Browser()

	if p := b.Get("/readyz"); p.Status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz: %d", p.Status)
	}
	for _, p := range []*apptest.Page{
		b.Get("/selfservice/demo/login"),
		b.Post("/selfservice/demo/login", apptest.Form("login", "someone")),
	} {
		if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Text("main"), "temporarily unavailable") {
			t.Fatalf("%s: %d %q", p.URL.Path, p.Status, p.Text("main"))
		}
	}

	req, err := http.NewRequest(http.MethodPost, env.Server.URL+"/api/v1/validate", strings.NewReader(`{"resource_id":1,"login":"someone","pass":"123456"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tpk_"+strings.Repeat("a", 10)+"_"+strings.Repeat("b", 32))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct {
			Code, Message string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "unavailable" || !strings.Contains(body.Error.Message, "temporarily unavailable") {
		t.Fatalf("validate: %d %+v", resp.StatusCode, body)
	}
}
