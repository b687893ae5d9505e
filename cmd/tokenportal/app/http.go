package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"tokenportal/assets"
	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Body size limits: forms are small; token import files may be large.
const (
	maxFormBody   = 64 << 10
	maxImportBody = 10 << 20
)

// securityHeaders sets the headers of SPEC §8 on every response.
func securityHeaders(https bool) gin.HandlerFunc {
	const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if https || c.Request.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !strings.HasPrefix(c.Request.URL.Path, "/assets/") {
			h.Set("Cache-Control", "no-store")
		}
		c.Next()
	}
}

// bodyLimit caps the request body; a larger body fails to read with a clear
// error instead of filling memory.
func bodyLimit(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			tooLarge(c, n)
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}

// adminImportPath is the console's token upload, the one form that takes a
// file larger than maxFormBody.
const adminImportPath = "/admin/tokens/import"

// uploadRoute reports whether r posts to the console's token upload.
func uploadRoute(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == adminImportPath
}

// adminBodyLimit is bodyLimit for the console: maxFormBody everywhere but
// the token upload, which gets maxImportBody.
func adminBodyLimit() gin.HandlerFunc {
	forms, files := bodyLimit(maxFormBody), bodyLimit(maxImportBody)
	return func(c *gin.Context) {
		if uploadRoute(c.Request) {
			files(c)
			return
		}
		forms(c)
	}
}

// tooLarge answers 413 in the format of the route.
func tooLarge(c *gin.Context, limit int64) {
	views.Fail(c.Writer, c.Request, nil, workflow.Fail(workflow.CodeTooLarge, workflow.M("error.too_large", "KiB", limit>>10)))
	c.Abort()
}

// crossOrigin refuses state-changing requests from other origins with Go's
// http.CrossOriginProtection (Sec-Fetch-Site / Origin checks).
func crossOrigin(cop *http.CrossOriginProtection, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			ctx := c.Request.Context()
			log.WarnContext(ctx, "cross-origin request refused", "path", c.Request.URL.Path, "origin", c.GetHeader("Origin"), "err", err)
			_ = views.Render(c.Writer, c.Request, http.StatusForbidden, views.ErrorPage(http.StatusForbidden, i18n.T(ctx, "error.title.refused"),
				i18n.T(ctx, "error.cross_origin")))
			c.Abort()
			return
		}
		c.Next()
	}
}

// deadline bounds the work of a request, so a database that stops answering
// on an open connection fails requests (503) instead of piling them up.
// Imports get longer; the streamed CSV export sets its own pace.
func deadline(c *gin.Context) {
	d := 30 * time.Second
	switch path := c.Request.URL.Path; {
	case strings.HasSuffix(path, ".csv"):
		c.Next()
		return
	case strings.HasSuffix(path, "/import"):
		d = 2 * time.Minute
		// The server's write timeout (60 s) would cut the answer of an
		// import that takes longer: it gets its own, past the deadline.
		_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(d + 10*time.Second))
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), d)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// requestLog writes one structured line per request.
func requestLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/readyz" || strings.HasPrefix(c.Request.URL.Path, "/assets/"):
			level = slog.LevelDebug
		}
		log.Log(c.Request.Context(), level, "request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "ip", c.ClientIP())
	}
}

// recovery turns a panic into a logged 500 instead of a dropped connection.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(c.Request.Context(), "panic", "path", c.Request.URL.Path, "panic", p)
				if !c.Writer.Written() {
					_ = views.Render(c.Writer, c.Request, http.StatusInternalServerError,
						views.ErrorPage(500, i18n.T(c.Request.Context(), "error.title.went_wrong"), i18n.ErrorMessage(c.Request.Context(), workflow.Internal(nil))))
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// sessionWriter commits the session and sets its cookie just before the
// response headers go out, as scs's LoadAndSave does for net/http.
type sessionWriter struct {
	gin.ResponseWriter
	commit func()
	done   bool
}

func (w *sessionWriter) before() {
	if !w.done && !w.ResponseWriter.Written() {
		w.done = true
		w.commit()
	}
}

func (w *sessionWriter) WriteHeaderNow() { w.before(); w.ResponseWriter.WriteHeaderNow() }

// Unwrap lets http.ResponseController reach the connection (a long export
// extends its write deadline).
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
func (w *sessionWriter) Write(b []byte) (int, error) {
	w.before()
	return w.ResponseWriter.Write(b)
}
func (w *sessionWriter) WriteString(s string) (int, error) {
	w.before()
	return w.ResponseWriter.WriteString(s)
}

// sessions loads the session of sm for the routes below it and saves it
// before the response is written.
func sessions(sm *scs.SessionManager, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Writer.Header().Add("Vary", "Cookie")
		var token string
		if cookie, err := c.Request.Cookie(sm.Cookie.Name); err == nil {
			token = cookie.Value
		}
		ctx, err := sm.Load(c.Request.Context(), token)
		if err != nil {
			log.ErrorContext(c.Request.Context(), "session not loaded", "err", err)
			_ = views.Render(c.Writer, c.Request, http.StatusServiceUnavailable, views.ErrorPage(503, i18n.T(c.Request.Context(), "error.title.temporarily_unavailable"),
				i18n.T(c.Request.Context(), "error.database")))
			c.Abort()
			return
		}
		c.Request = c.Request.WithContext(ctx)
		sw := &sessionWriter{ResponseWriter: c.Writer}
		sw.commit = func() {
			switch sm.Status(ctx) {
			case scs.Modified:
				tok, expiry, err := sm.Commit(ctx)
				if err != nil {
					log.ErrorContext(ctx, "session not saved", "err", err)
					sw.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				sm.WriteSessionCookie(ctx, sw.ResponseWriter, tok, expiry)
			case scs.Destroyed:
				sm.WriteSessionCookie(ctx, sw.ResponseWriter, "", time.Time{})
			}
		}
		c.Writer = sw
		c.Next()
		sw.before()
	}
}

// newSessionManager returns an scs manager whose cookie is scoped to path.
// Tokens are stored hashed, so a copy of the sessions table opens no session.
func newSessionManager(store scs.Store, cfg Config, name, path string) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.HashTokenInStore = true
	sm.IdleTimeout = cfg.SessionIdle
	sm.Lifetime = cfg.SessionLifetime
	sm.Cookie.Name = name
	sm.Cookie.Path = path
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.HTTPS()
	sm.Cookie.Persist = false
	return sm
}

// health answers /healthz (the process is alive) and /readyz (the database
// answers too).
func health(st workflow.Store) (healthz, readyz gin.HandlerFunc) {
	healthz = func(c *gin.Context) { c.String(http.StatusOK, "ok\n") }
	readyz = func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			c.String(http.StatusServiceUnavailable, "database unreachable\n")
			return
		}
		c.String(http.StatusOK, "ready\n")
	}
	return healthz, readyz
}

// notFound answers unknown routes: JSON under /api/, an HTML page elsewhere.
func notFound(c *gin.Context) {
	if views.APIRoute(c.Request) {
		views.Fail(c.Writer, c.Request, nil, workflow.Fail(workflow.CodeNotFound, workflow.M("error.no_endpoint")))
		return
	}
	_ = views.Render(c.Writer, c.Request, http.StatusNotFound, views.ErrorPage(404, i18n.T(c.Request.Context(), "error.title.page_not_found"),
		i18n.T(c.Request.Context(), "error.nothing_here")))
}

func serveAssets() gin.HandlerFunc {
	h := assets.Handler()
	return func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
}

// listen runs srv until ctx ends, then shuts down gracefully: in-flight
// requests get up to grace to finish.
func listen(ctx context.Context, srv *http.Server, grace time.Duration, log *slog.Logger) error {
	return runUntil(ctx, srv.ListenAndServe, srv.Shutdown, http.ErrServerClosed, grace, log.With("server", "http"))
}

// runUntil runs serve until ctx ends, then stops it with shutdown, which
// lets the work in flight finish within grace; closed is what serve returns
// after a shutdown.
func runUntil(ctx context.Context, serve func() error, shutdown func(context.Context) error, closed error, grace time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, closed) {
		return err
	}
	return nil
}

// localize renders every page in the language its request asks for (the
// switcher's cookie, Accept-Language); the portal and the console put the
// signed-in person's own language over it.
func localize(c *gin.Context) {
	c.Request = i18n.Localize(c.Request)
	c.Next()
}

// chooseLanguage is the switcher of the pages outside the portal and the
// console (the error pages): it keeps the choice in the cookie and returns
// to the page.
func chooseLanguage(secure bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		next, err := i18n.Switch(c.Writer, c.Request, secure, "/", nil)
		if err != nil {
			views.Fail(c.Writer, c.Request, nil, err)
			return
		}
		c.Redirect(http.StatusSeeOther, next)
	}
}
