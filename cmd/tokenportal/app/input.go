package app

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"tokenportal/views"
	"tokenportal/workflow"
)

// multipartMemory is what a multipart form keeps in memory (gin's
// MaxMultipartMemory too); the rest of its files goes to temporary files,
// which removeUploads deletes when the request ends.
const multipartMemory = 1 << 20

// storableText refuses a request whose path, query or (with forms) form
// fields hold text PostgreSQL cannot store or compare — a NUL character or
// bytes that are not UTF-8 — with 400 in the format of the route, before a
// handler passes it to a query that would fail with a 500. No browser sends
// such text; fuzzing the forms found it (testdata/fuzz). The JSON API reads
// its bodies itself (admin's apiDecode checks them): forms is false there.
// The console's token upload is not read here either: it runs before the
// session is known, and that body is read only by its handler, once the
// admin is signed in and may import (an anonymous upload of 10 MiB is
// refused unread); its fields are ids and hex, which the handler parses.
// A User-Agent that is not UTF-8 is repaired instead: it is only recorded.
func storableText(forms bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		req := c.Request
		if ua := req.Header.Get("User-Agent"); !utf8.ValidString(ua) {
			req.Header.Set("User-Agent", strings.ToValidUTF8(ua, "\uFFFD"))
		}
		ok := storable(req.URL.Path)
		for _, vs := range req.URL.Query() {
			ok = ok && storableAll(vs)
		}
		if ok && forms && !uploadRoute(req) && (req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch) {
			ct := req.Header.Get("Content-Type")
			switch {
			case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
				_ = req.ParseForm() // a body too large or malformed is the handler's to answer, as before
			case strings.HasPrefix(ct, "multipart/form-data"):
				_ = req.ParseMultipartForm(multipartMemory)
			}
			for k, vs := range req.PostForm {
				ok = ok && storable(k) && storableAll(vs)
			}
			if req.MultipartForm != nil {
				for k, vs := range req.MultipartForm.Value {
					ok = ok && storable(k) && storableAll(vs)
				}
			}
		}
		if ok {
			c.Next()
			return
		}
		views.Fail(c.Writer, req, nil, workflow.Fail(workflow.CodeBadRequest, workflow.M("error.bad_characters")))
		c.Abort()
	}
}

// removeUploads deletes the temporary files of a multipart form when the
// request ends. net/http does so only for the request it handed in, and
// middleware here replaces c.Request (WithContext), so the files of a form
// parsed on the copy would stay on disk.
func removeUploads(c *gin.Context) {
	c.Next()
	if f := c.Request.MultipartForm; f != nil {
		_ = f.RemoveAll()
	}
}

// storable reports whether s is UTF-8 without NUL characters.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func storableAll(vs []string) bool {
	for _, v := range vs {
		if !storable(v) {
			return false
		}
	}
	return true
}
