package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
	"tokenportal/workflow/otp"
)

// BenchmarkValidate measures POST /api/v1/validate through the real HTTP
// handler, service and PostgreSQL store, with 32 concurrent clients, each a
// user with an HOTP token sending the next right code (the path that
// commits a step and writes the activity). It reports validations/s and the
// p50/p99 latency.
func BenchmarkValidate(b *testing.B) {
	env := apptest.New(b, nil)
	ctx := context.Background()
	svc := env.Svc
	r, err := svc.CreateResource(ctx, workflow.ResourceInput{Name: fmt.Sprintf("Bench VPN %d", time.Now().UnixNano())}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	key, _, err := svc.CreateAPIKey(ctx, workflow.NewAPIKey{Name: "bench", Role: workflow.RoleValidate}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	const clients = 32
	secret := []byte("12345678901234567890")
	logins := make([]string, 0, clients*4)
	for i := range cap(logins) {
		login := fmt.Sprintf("bench-%d-%d", r.ID, i)
		u, err := svc.CreateUser(ctx, workflow.UserInput{Login: login}, workflow.SystemActor, workflow.Meta{})
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.AssignUser(ctx, r.ID, u.ID, workflow.SystemActor, workflow.Meta{}); err != nil {
			b.Fatal(err)
		}
		t := workflow.Token{Serial: login, Type: "hotp", Enabled: true, UserID: &u.ID, ResourceID: &r.ID}
		if err := svc.StoreToken(ctx, svc.Store, &t, secret); err != nil {
			b.Fatal(err)
		}
		logins = append(logins, login)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}
	url := env.Server.URL + "/api/v1/validate"
	var next atomic.Int32
	var mu sync.Mutex
	var latencies []time.Duration
	var rejected atomic.Int64

	b.SetParallelism((clients + 1) / 2) // GOMAXPROCS 2 × 16 = 32 goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		login := logins[int(next.Add(1)-1)%len(logins)]
		var counter uint64
		var mine []time.Duration
		for pb.Next() {
			body, _ := json.Marshal(map[string]any{"resource_id": r.ID, "login": login, "pass": otp.Code(secret, counter, otp.Default)})
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var out struct{ Result bool }
			_ = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			mine = append(mine, time.Since(t0))
			if !out.Result {
				rejected.Add(1)
			}
			counter++
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := rejected.Load(); n > 0 {
		b.Fatalf("%d right codes were rejected", n)
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(float64(len(latencies)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "validations/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
