package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"tokenportal/admin"
	"tokenportal/portal"
	"tokenportal/views"
	"tokenportal/workflow"
	"tokenportal/workflow/jobs"
	"tokenportal/workflow/ldap"
	"tokenportal/workflow/notify"
	"tokenportal/workflow/store"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// App is one running instance: its pool, service and HTTP handler.
type App struct {
	Config  Config
	Log     *slog.Logger
	Pool    *pgxpool.Pool
	Store   *store.DB
	Service *workflow.Service
	Admin   *scs.SessionManager
	Portal  *scs.SessionManager
	Handler http.Handler
	// Routes lists every route of Handler (the access test walks them all).
	Routes []gin.RouteInfo
	// Notifier renders and sends mail and SMS; Queue runs its River worker.
	Notifier *notify.Notifier
	Queue    *river.Client[pgx.Tx]
	// Metrics counts what SPEC §16 lists; Serve serves them when
	// Config.MetricsListenAddr is set.
	Metrics  *Metrics
	sessions *pgxstore.PostgresStore
}

// OpenPool connects to the database with settings suited to a web service.
// The pool connects lazily, so a database that is down now is found by
// /readyz rather than preventing the start of the process.
func OpenPool(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if pc.MaxConns < 16 {
		pc.MaxConns = 16
	}
	pc.MaxConnIdleTime = 5 * time.Minute
	pc.HealthCheckPeriod = 15 * time.Second
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > 5*time.Second {
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "tokenportal"
	// Dates (account expiry) are stored and read as UTC dates.
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	return pgxpool.NewWithConfig(ctx, pc)
}

// New wires an App on an open pool. Close releases what it started.
func New(cfg Config, pool *pgxpool.Pool, log *slog.Logger) (*App, error) {
	sealer, err := workflow.NewSealer(cfg.SecretKey, cfg.PreviousKeys...)
	if err != nil {
		return nil, err
	}
	st := store.New(pool)
	a := &App{
		Config:   cfg,
		Log:      log,
		Pool:     pool,
		Store:    st,
		Service:  workflow.NewService(st, sealer, cfg.BcryptCost, log),
		Metrics:  NewMetrics(pool, st),
		sessions: pgxstore.NewWithCleanupInterval(pool, 5*time.Minute),
	}
	a.Service.BaseURL = cfg.BaseURL.String()
	a.Service.Observer = a.Metrics
	// Directory users' passwords and the syncs (SPEC §12) go over LDAP.
	a.Service.Directories = &ldap.Client{}
	// The settings page's mail and SMS settings and templates apply over
	// the environment's, read at send time (cached briefly) on every instance.
	a.Notifier, err = notify.New(notify.Config{SMTPURL: cfg.SMTPURL, MailFrom: cfg.MailFrom, SMSGatewayURL: cfg.SMSGatewayURL,
		Capture: cfg.Dev, Open: a.Service.OpenMessage, Settings: a.Service.MessagingSettings, SettingsTTL: cfg.SettingsTTL,
		Attempted: a.Metrics.MessageAttempt}, log)
	if err != nil {
		return nil, err
	}
	// The queue delivers mail and runs the periodic jobs (activity retention).
	if a.Queue, err = notify.NewQueue(pool, a.Notifier, log, jobs.Option(a.Service, log)); err != nil {
		return nil, err
	}
	a.Admin = newSessionManager(a.sessions, cfg, "tp_admin", "/admin")
	a.Portal = newSessionManager(a.sessions, cfg, "tp_portal", "/selfservice")
	if a.Handler, err = a.router(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close stops background work of the App (not the pool, which the caller owns).
func (a *App) Close() { a.sessions.StopCleanup() }

func (a *App) router() (http.Handler, error) {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.MaxMultipartMemory = multipartMemory
	trusted := make([]string, 0, len(a.Config.TrustedProxies))
	for _, p := range a.Config.TrustedProxies {
		trusted = append(trusted, p.String())
	}
	// With no trusted proxies the client IP is the peer address, whatever
	// X-Forwarded-For says.
	if err := r.SetTrustedProxies(trusted); err != nil {
		return nil, err
	}
	r.ForwardedByClientIP = len(trusted) > 0
	r.RemoteIPHeaders = []string{"X-Forwarded-For", "X-Real-IP"}

	r.Use(a.Metrics.HTTP(), recovery(a.Log), requestLog(a.Log), securityHeaders(a.Config.HTTPS()), deadline, removeUploads, localize)
	healthz, readyz := health(a.Store)
	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz)
	r.GET("/assets/*file", serveAssets())
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/admin/") })
	if a.Config.Dev {
		r.GET("/dev/mail", a.devMail)
	}
	r.NoRoute(notFound)
	r.NoMethod(notFound)

	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(a.Config.BaseURL.Scheme + "://" + a.Config.BaseURL.Host); err != nil {
		return nil, err
	}
	html := func(g *gin.RouterGroup, sm *scs.SessionManager, limit gin.HandlerFunc) {
		g.Use(limit, crossOrigin(cop, a.Log), storableText(true), sessions(sm, a.Log))
	}

	r.POST("/language", bodyLimit(maxFormBody), crossOrigin(cop, a.Log), chooseLanguage(a.Config.HTTPS()))

	adm := &admin.Handler{Svc: a.Service, Sessions: a.Admin, Log: a.Log, Notifier: a.Notifier}
	ag := r.Group("/admin")
	html(ag, a.Admin, adminBodyLimit())
	adm.Routes(ag)

	api := r.Group("/api/v1")
	api.Use(bodyLimit(maxImportBody), storableText(false))
	adm.APIRoutes(api)

	prt := &portal.Handler{Svc: a.Service, Sessions: a.Portal, Log: a.Log, Secure: a.Config.HTTPS()}
	pg := r.Group("/selfservice")
	html(pg, a.Portal, bodyLimit(maxFormBody))
	prt.Routes(pg)
	// A portal's unknown pages get its own 404, linking to its start.
	r.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/selfservice/") {
			prt.NotFound(c)
			return
		}
		notFound(c)
	})
	a.Routes = r.Routes()
	return r, nil
}

// Serve migrates the database (several instances may do so at once) and
// serves HTTP until ctx ends.
func (a *App) Serve(ctx context.Context) error {
	srv := &http.Server{
		Addr:              a.Config.ListenAddr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if err := a.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start the mail queue: %w", err)
	}
	defer func() {
		// Let a delivery in progress finish; what is left stays queued.
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Queue.Stop(sctx); err != nil {
			a.Log.Warn("mail queue did not stop cleanly", "err", err)
		}
	}()
	a.Log.Info("listening", "addr", a.Config.ListenAddr, "base_url", a.Config.BaseURL.String())
	servers := []func(context.Context) error{func(ctx context.Context) error { return listen(ctx, srv, 20*time.Second, a.Log) }}
	if addr := a.Config.RadiusListenAddr; addr != "" {
		a.Log.Info("RADIUS listening", "addr", addr)
		servers = append(servers, func(ctx context.Context) error { return a.serveRADIUS(ctx, addr, 20*time.Second) })
	}
	if addr := a.Config.MetricsListenAddr; addr != "" {
		a.Log.Info("metrics listening", "addr", addr, "path", "/metrics")
		servers = append(servers, func(ctx context.Context) error { return a.serveMetrics(ctx, addr, 5*time.Second) })
	}
	// HTTP, RADIUS and metrics stop together: when one fails, the others
	// are shut down; the first failure is the one returned.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, len(servers))
	for _, serve := range servers {
		go func() {
			errc <- serve(ctx)
			stop()
		}()
	}
	var err error
	for range servers {
		if e := <-errc; err == nil {
			err = e
		}
	}
	return err
}

// Migrate applies the migrations and logs what changed.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	from, to, err := store.Migrate(ctx, pool)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if from != to {
		log.Info("database migrated", "from", from, "to", to)
	} else {
		log.Info("database is up to date", "version", to)
	}
	return nil
}

// devMail shows the mails and SMS captured in dev mode (SPEC §9).
func (a *App) devMail(c *gin.Context) {
	_ = views.Render(c.Writer, c.Request, http.StatusOK, views.DevMail(a.Notifier.Captured()))
}
