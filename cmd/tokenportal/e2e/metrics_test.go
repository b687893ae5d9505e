package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"tokenportal/workflow/notify/smtptest"
)

// radclientFound is radclientBin for a test that does more than RADIUS:
// without radclient (and where CI does not insist on it) it goes on
// without the RADIUS part.
func radclientFound(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("radclient"); err == nil || os.Getenv("RADIUS_REQUIRE_CLIENT") != "" || os.Getenv("E2E_REQUIRE_BROWSER") != "" {
		radclientBin(t)
		return true
	}
	t.Log("no radclient: RADIUS is not counted here")
	return false
}

// scrape GETs url and parses the Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return mfs
}

// sample sums the series of family name whose labels include want (a
// counter's, a gauge's or a histogram's count); ok is false when there is
// none.
func sample(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (sum float64, ok bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		ok = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, ok
}

// TestMetrics runs the binary with METRICS_LISTEN_ADDR, puts a little load
// on it (validations right and wrong, a failed and a good portal sign-in,
// the admin sign-in page, a failed and a good admin sign-in, a mail, RADIUS
// answers and a drop, paths holding a login and a serial) and reads /metrics:
// every series of SPEC §16 is there with sensible values, and no label
// holds a raw path, a login or a serial.
func TestMetrics(t *testing.T) {
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	radiusAddr := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	mail := smtptest.Start(t)
	env := mailEnv(baseEnv(""), strings.TrimPrefix(mail.URL(), "smtp://")).with("METRICS_LISTEN_ADDR", metricsAddr,
		"RADIUS_LISTEN_ADDR", radiusAddr, "TRUSTED_PROXIES", "127.0.0.1")
	inst := start(t, env)
	k := newKeyClient(inst, apiKey(t, env, "superadmin"))
	p := makePortal(t, k, "metrics")
	u := p.addUser(t, k, "metrics", proofPassword)
	p.giveToken(t, k, &u, "hotp")

	if ok, _, err := k.validate(p.ResourceID, u.Login, u.hotp(0)); err != nil || !ok {
		t.Fatalf("validate with the right code: %v %v", ok, err)
	}
	if ok, _, err := k.validate(p.ResourceID, u.Login, "000000"); err != nil || ok {
		t.Fatalf("validate with a wrong code: %v %v", ok, err)
	}
	w := newWebClient("198.51.100.161")
	if page := portalLogin(t, w, inst.URL, p.Alias, u.Login, "Wrong-password-161", ""); loginFailure(page) == "" {
		t.Fatalf("a wrong password did not fail: %s", page)
	}
	if page := portalLogin(t, w, inst.URL, p.Alias, u.Login, u.Password, u.hotp(1)); !atPortalHome(page, p.Alias) {
		t.Fatalf("portal sign-in: %s", page)
	}
	if page := w.mustGet(t, inst.URL, "/admin/login"); page.Status != http.StatusOK {
		t.Fatalf("admin login page: %s", page)
	}
	adminName := uniqueName("metrics-admin")
	if page := w.mustSubmit(t, inst.URL, "/admin/login", formPairs("login", adminName, "password", "Wrong-password-162")); page.URL.Path != "/admin/login" {
		t.Fatalf("admin sign-in with a wrong password: %s", page)
	}
	if page := adminLogin(t, newWebClient("198.51.100.162"), inst.URL, adminName, createAdmin(t, env, adminName, "helpdesk")); !atAdminConsole(page) {
		t.Fatalf("admin sign-in: %s", page)
	}
	// A sign-in code by mail: queued, then delivered by the worker.
	mailUser := p.addUser(t, k, "metrics-mail", "")
	askLoginCode(t, newWebClient("198.51.100.163"), inst, p.Alias, mailUser)
	mail.WaitFor(t, smtptest.To(mailUser.Email), 15*time.Second)
	// RADIUS: an accept, a challenge, a reject and a packet dropped.
	radius := radclientFound(t)
	if radius {
		const secret = "a-shared-secret-of-the-metrics-vpn"
		k.must(t, http.MethodPost, fmt.Sprintf("/resources/%d/radius-clients", p.ResourceID),
			map[string]any{"name": "metrics VPN", "address": "127.0.0.1", "secret": secret}, nil)
		dropRadiusClients(t)
		for _, c := range []struct{ secret, attrs, want string }{
			{secret, pap(u.Login, u.Password+u.hotp(2), withMA), "Access-Accept"},
			{secret, pap(u.Login, u.Password, withMA), "Access-Challenge"},
			{secret, pap(u.Login, "not-the-password"+u.hotp(3), withMA), "Access-Reject"},
			{"not-the-secret-at-all", pap(u.Login, u.Password+u.hotp(3), withMA), ""},
		} {
			if got := radclientSend(t, radiusAddr, "auth", c.secret, c.attrs); got.Code != c.want {
				t.Fatalf("RADIUS: got %q, want %q\n%s", got.Code, c.want, got.Out)
			}
		}
	}
	// A route with the serial in its path, and paths no route matches.
	k.must(t, http.MethodGet, "/tokens/"+u.Serial, nil, nil)
	w.mustGet(t, inst.URL, "/no-such-page/"+u.Login)
	w.mustGet(t, inst.URL, "/api/v1/users/"+u.Login+"/nothing")

	// The public listener does not serve the metrics.
	if page := w.mustGet(t, inst.URL, "/metrics"); page.Status != http.StatusNotFound {
		t.Fatalf("/metrics on the public listener: %d", page.Status)
	}
	// The delivery is counted once the worker's attempt returns, a moment
	// after the SMTP server has the mail.
	var mfs map[string]*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mfs = scrape(t, "http://"+metricsAddr+"/metrics")
		if v, _ := sample(mfs, "tokenportal_messages_delivered_total", map[string]string{"channel": "email"}); v >= 1 || time.Now().After(deadline) {
			break
		}
	}

	atLeast := func(name string, labels map[string]string, min float64) {
		t.Helper()
		v, ok := sample(mfs, name, labels)
		if !ok {
			t.Errorf("no series %s%v", name, labels)
		} else if v < min {
			t.Errorf("%s%v = %v, want at least %v", name, labels, v, min)
		}
	}
	atLeast("tokenportal_validations_total", map[string]string{"result": "true"}, 1)
	atLeast("tokenportal_validations_total", map[string]string{"result": "false"}, 1)
	atLeast("tokenportal_http_requests_total", map[string]string{"route": "/api/v1/validate", "method": "POST", "status": "200"}, 2)
	atLeast("tokenportal_http_requests_total", map[string]string{"route": "/admin/login", "method": "GET", "status": "200"}, 1)
	atLeast("tokenportal_http_requests_total", map[string]string{"route": "/selfservice/:alias/login", "method": "POST"}, 2)
	atLeast("tokenportal_http_requests_total", map[string]string{"route": "/api/v1/tokens/:serial", "method": "GET", "status": "200"}, 1)
	atLeast("tokenportal_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 3)
	atLeast("tokenportal_http_request_duration_seconds", map[string]string{"route": "/api/v1/validate", "method": "POST"}, 2)
	atLeast("tokenportal_sign_ins_total", map[string]string{"area": "portal", "result": "failure"}, 1)
	atLeast("tokenportal_sign_ins_total", map[string]string{"area": "portal", "result": "success"}, 1)
	atLeast("tokenportal_sign_ins_total", map[string]string{"area": "admin", "result": "success"}, 1)
	atLeast("tokenportal_sign_ins_total", map[string]string{"area": "admin", "result": "failure"}, 1)
	for _, r := range []string{"accept", "reject", "challenge", "dropped"} {
		if radius {
			atLeast("tokenportal_radius_requests_total", map[string]string{"result": r}, 1)
		} else {
			atLeast("tokenportal_radius_requests_total", map[string]string{"result": r}, 0)
		}
	}
	atLeast("tokenportal_open_issues", map[string]string{"kind": "restore"}, 0)
	atLeast("tokenportal_open_issues", map[string]string{"kind": "enrolment"}, 0)
	atLeast("tokenportal_messages_delivered_total", map[string]string{"channel": "email"}, 1)
	for _, ch := range []string{"email", "sms"} {
		atLeast("tokenportal_messages_queued", map[string]string{"channel": ch}, 0)
		atLeast("tokenportal_messages_delivered_total", map[string]string{"channel": ch}, 0)
		atLeast("tokenportal_messages_failed_total", map[string]string{"channel": ch}, 0)
		atLeast("tokenportal_message_retries_total", map[string]string{"channel": ch}, 0)
	}
	atLeast("tokenportal_db_pool_max_conns", nil, 16)
	atLeast("tokenportal_db_pool_total_conns", nil, 1)
	atLeast("tokenportal_db_pool_idle_conns", nil, 0)
	atLeast("tokenportal_db_pool_acquired_conns", nil, 0)
	atLeast("tokenportal_db_pool_acquires_total", nil, 5)
	atLeast("tokenportal_db_pool_acquire_duration_seconds_total", nil, 0)
	atLeast("tokenportal_build_info", nil, 1)
	atLeast("go_build_info", nil, 1)
	atLeast("go_goroutines", nil, 1)
	atLeast("process_resident_memory_bytes", nil, 1)
	if v, _ := sample(mfs, "tokenportal_db_pool_total_conns", nil); v > 16 {
		t.Errorf("pool has %v connections, more than its maximum", v)
	}

	// Labels are patterns and fixed words: no login, serial, alias or id.
	rawID := regexp.MustCompile(`/\d+(/|$)`)
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				for _, secret := range []string{u.Login, u.Serial, strings.ToLower(u.Serial), p.Alias, mailUser.Login, mailUser.Email} {
					if strings.Contains(v, secret) {
						t.Errorf("%s has label %s=%q, which holds %q", name, l.GetName(), v, secret)
					}
				}
				if l.GetName() == "route" && (rawID.MatchString(v) || (v != "unmatched" && !strings.HasPrefix(v, "/"))) {
					t.Errorf("%s has route %q, not a pattern", name, v)
				}
			}
		}
	}
}
