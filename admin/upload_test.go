package admin_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

// countingBody is a request body that counts what the server read of it
// and, while it read, the most files there were in the temporary
// directory (the parts of the upload spilled to disk).
type countingBody struct {
	r       io.Reader
	read    int
	tmp     string
	spilled int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	if b.tmp != "" {
		entries, _ := os.ReadDir(b.tmp)
		b.spilled = max(b.spilled, len(entries))
	}
	return n, err
}

// multipartUpload is a form with a file of size bytes, as the token upload
// sends it.
func multipartUpload(t *testing.T, size int) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", "tokens.csv")
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("not,a,token\n")
	for buf.Len() < size {
		_, _ = fw.Write(line)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// TestUploadReadOnlyAfterAuthentication sends a 9 MiB upload to the
// console's and the API's token import straight into the router, as a
// stranger, as an admin or key whose role may not import, and as a
// superadmin. Only the superadmin's body is read; the others are refused
// with not one byte of it read (before, the console parsed every upload into
// memory before it looked at the session: 16 anonymous uploads in parallel
// took the server from 60 to 428 MiB). The superadmin's file is parsed with
// little memory, the rest spilled to a temporary file that is gone when the
// request ends.
func TestUploadReadOnlyAfterAuthentication(t *testing.T) {
	// Serial: it lists rows that other tests write (not yet made test-local).
	env := apptest.New(t, nil)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	site, _ := url.Parse(env.Server.URL + "/admin/") // the console cookie's path
	upload, contentType := multipartUpload(t, 9<<20)

	cookies := func(b *apptest.Browser) []*http.Cookie { return b.Client.Jar.Cookies(site) }
	helpdesk, superadmin := signIn(t, env, workflow.RoleHelpdesk), signIn(t, env, workflow.RoleSuperadmin)
	validateKey, superKey := apiNewKey(t, env, workflow.RoleValidate, 0), apiNewKey(t, env, workflow.RoleSuperadmin, 0)

	send := func(path string, cookies []*http.Cookie, key string) (*httptest.ResponseRecorder, *countingBody) {
		body := &countingBody{r: bytes.NewReader(upload), tmp: tmp}
		req := httptest.NewRequest(http.MethodPost, path, body)
		req.ContentLength = int64(len(upload))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", env.Server.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		env.App.Handler.ServeHTTP(rec, req)
		return rec, body
	}

	refused := []struct {
		name, path string
		cookies    []*http.Cookie
		key        string
		status     int
	}{
		{"console, no session", "/admin/tokens/import", nil, "", http.StatusSeeOther},
		{"console, helpdesk", "/admin/tokens/import", cookies(helpdesk), "", http.StatusForbidden},
		{"API, no key", "/api/v1/tokens/import", nil, "", http.StatusUnauthorized},
		{"API, wrong key", "/api/v1/tokens/import", nil, "tp_wrong", http.StatusUnauthorized},
		{"API, validate key", "/api/v1/tokens/import", nil, validateKey, http.StatusForbidden},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			rec, body := send(tc.path, tc.cookies, tc.key)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d:\n%.300s", rec.Code, tc.status, rec.Body)
			}
			if body.read != 0 {
				t.Fatalf("%d bytes of the %d byte upload were read before it was refused", body.read, len(upload))
			}
			if tc.status == http.StatusSeeOther && !strings.HasPrefix(rec.Header().Get("Location"), "/admin/login") {
				t.Fatalf("sent to %q, want the sign-in", rec.Header().Get("Location"))
			}
		})
	}

	t.Run("console, superadmin", func(t *testing.T) {
		rec, body := send("/admin/tokens/import", cookies(superadmin), "")
		if rec.Code != http.StatusUnprocessableEntity || body.read != len(upload) {
			t.Fatalf("status %d after reading %d of %d bytes, want 422 after all", rec.Code, body.read, len(upload))
		}
		if body.spilled == 0 {
			t.Error("the upload was held in memory: nothing was spilled to a temporary file")
		}
		if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
			t.Errorf("the upload's temporary files are left behind: %v", entries)
		}
	})
	t.Run("API, superadmin key", func(t *testing.T) {
		rec, body := send("/api/v1/tokens/import", nil, superKey)
		if rec.Code != http.StatusUnprocessableEntity || body.read != len(upload) {
			t.Fatalf("status %d after reading %d of %d bytes, want 422 after all:\n%.300s", rec.Code, body.read, len(upload), rec.Body)
		}
	})
}
