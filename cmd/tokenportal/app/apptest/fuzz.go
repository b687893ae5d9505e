package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Raw is a cookie-keeping client for fuzz targets. Unlike a Browser, which
// reports to the Env's T (for a fuzz target the *testing.F, which must not
// be used inside f.Fuzz), it reports to the t of each call.
type Raw struct {
	env    *Env
	Client *http.Client
}

// Raw returns a client with an empty cookie jar. It follows redirects on
// this server and fails on one that leaves it.
func (e *Env) Raw() *Raw {
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(e.Server.URL)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != base.Host {
			return fmt.Errorf("redirect off the site, to %s", req.URL)
		}
		if len(via) >= 10 {
			return fmt.Errorf("more than 10 redirects")
		}
		return nil
	}}
	return &Raw{env: e, Client: c}
}

// Send sends a request with body of contentType (none when empty) as a
// same-origin browser form or API client would, follows redirects and reads
// the answer.
func (r *Raw) Send(t testing.TB, method, path, contentType string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, r.env.Server.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "apptest-fuzz/1.0 Firefox/140.0")
	if r.env.ClientIP != "" {
		req.Header.Set("X-Forwarded-For", r.env.ClientIP)
	}
	if !strings.HasPrefix(path, "/api/") {
		req.Header.Set("Origin", r.env.Server.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	return resp, b
}

// PostForm posts an url-encoded form body (as typed: it need not be valid).
func (r *Raw) PostForm(t testing.TB, path string, body string) (*http.Response, []byte) {
	t.Helper()
	return r.Send(t, http.MethodPost, path, "application/x-www-form-urlencoded", []byte(body), nil)
}

// CheckAnswer fails t when the answer is a server error or not well formed:
// under /api/ a JSON document, with the error object of the API on a 4xx;
// elsewhere a whole HTML page.
func CheckAnswer(t testing.TB, what string, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode >= 500 {
		t.Fatalf("%s: %s %s answered %d:\n%.2000s", what, resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if strings.HasPrefix(resp.Request.URL.Path, "/api/") {
		if ct != "application/json" || !json.Valid(body) {
			t.Fatalf("%s: %s answered %d with %q, not JSON:\n%.2000s", what, resp.Request.URL.Path, resp.StatusCode, ct, body)
		}
		if resp.StatusCode >= 400 {
			var e struct {
				Error *struct {
					Code    *string           `json:"code"`
					Message *string           `json:"message"`
					Fields  map[string]string `json:"fields"`
				} `json:"error"`
			}
			if json.Unmarshal(body, &e) != nil || e.Error == nil || e.Error.Code == nil || e.Error.Message == nil || e.Error.Fields == nil {
				t.Fatalf("%s: %s answered %d without the API's error object:\n%.2000s", what, resp.Request.URL.Path, resp.StatusCode, body)
			}
		}
		return
	}
	if ct != "text/html" || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("<!doctype html>")) && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("<!DOCTYPE html>")) ||
		!bytes.HasSuffix(bytes.TrimSpace(body), []byte("</html>")) {
		t.Fatalf("%s: %s answered %d with %q, not a whole HTML page:\n%.2000s", what, resp.Request.URL.Path, resp.StatusCode, ct, body)
	}
}
