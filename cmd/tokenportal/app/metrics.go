package app

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tokenportal/workflow"
	"tokenportal/workflow/notify"
	"tokenportal/workflow/radius"
)

// unmatchedRoute is the route label of requests no route matched: raw paths
// never become labels (they may hold logins, serials and anything a
// stranger types).
const unmatchedRoute = "unmatched"

// stateTimeout bounds the queries a scrape runs (open issues, queued
// messages), so a slow database slows no scrape for long.
const stateTimeout = 2 * time.Second

// Metrics are the Prometheus series of SPEC §16, on a registry of their own
// (not the global one) served by the metrics listener. It is the service's
// workflow.Observer.
type Metrics struct {
	Registry *prometheus.Registry

	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	validations *prometheus.CounterVec
	signIns     *prometheus.CounterVec
	radius      *prometheus.CounterVec
	delivered   *prometheus.CounterVec
	retries     *prometheus.CounterVec
	failed      *prometheus.CounterVec
}

// channels are the message channels, each with its series from the start.
var channels = []string{workflow.ChannelEmail, workflow.ChannelSMS}

// NewMetrics registers every series: the counters, the collectors that read
// the pool and the database at scrape time, build information, and the Go
// runtime and process.
func NewMetrics(pool *pgxpool.Pool, st workflow.Store) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tokenportal_http_requests_total",
			Help: "HTTP requests answered, by route pattern (\"unmatched\" when no route matched), method and status."},
			[]string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tokenportal_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route pattern and method.", Buckets: prometheus.DefBuckets},
			[]string{"route", "method"}),
		validations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tokenportal_validations_total",
			Help: "Answers of the validate API, by result (true or false)."}, []string{"result"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tokenportal_sign_ins_total",
			Help: "Sign-ins to the portals and the admin console, by area (portal, admin) and result (success, failure)."},
			[]string{"area", "result"}),
		radius: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tokenportal_radius_requests_total",
			Help: "RADIUS Access-Requests by result (accept, reject, challenge), and packets dropped without an answer (dropped)."},
			[]string{"result"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tokenportal_messages_delivered_total",
			Help: "Mails and SMS delivered by this instance, by channel."}, []string{"channel"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tokenportal_message_retries_total",
			Help: "Delivery attempts of this instance that failed and will be tried again, by channel."}, []string{"channel"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tokenportal_messages_failed_total",
			Help: "Mails and SMS this instance gave up on (a permanent failure, or the last attempt failed), by channel."},
			[]string{"channel"}),
	}
	// Every known label value shows from the start, at 0.
	for _, r := range []string{"true", "false"} {
		m.validations.WithLabelValues(r)
	}
	for _, area := range []string{workflow.SignInPortal, workflow.SignInAdmin} {
		for _, r := range []string{"success", "failure"} {
			m.signIns.WithLabelValues(area, r)
		}
	}
	for _, r := range []string{radius.ResultAccept, radius.ResultReject, radius.ResultChallenge, radius.ResultDropped} {
		m.radius.WithLabelValues(r)
	}
	for _, ch := range channels {
		m.delivered.WithLabelValues(ch)
		m.retries.WithLabelValues(ch)
		m.failed.WithLabelValues(ch)
	}
	m.Registry.MustRegister(m.requests, m.latency, m.validations, m.signIns, m.radius, m.delivered, m.retries, m.failed,
		newPoolCollector(pool), &stateCollector{st: st}, buildInfo(),
		collectors.NewBuildInfoCollector(), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// buildInfo is tokenportal_build_info: 1, labelled with the module version,
// the VCS revision and the Go version of the binary.
func buildInfo() prometheus.Collector {
	version, revision, goVersion := "unknown", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version, goVersion = bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tokenportal_build_info",
		Help:        "Always 1; the labels tell the version, VCS revision and Go version of the running binary.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion}},
		func() float64 { return 1 })
}

// Validated implements workflow.Observer.
func (m *Metrics) Validated(result bool) {
	m.validations.WithLabelValues(strconv.FormatBool(result)).Inc()
}

// SignIn implements workflow.Observer.
func (m *Metrics) SignIn(area string, ok bool) {
	result := "failure"
	if ok {
		result = "success"
	}
	m.signIns.WithLabelValues(area, result).Inc()
}

// RadiusResult counts a RADIUS packet's result (radius.Server.Count).
func (m *Metrics) RadiusResult(result string) { m.radius.WithLabelValues(result).Inc() }

// MessageAttempt counts a delivery attempt (notify.Config.Attempted).
func (m *Metrics) MessageAttempt(channel, outcome string) {
	if channel != workflow.ChannelEmail && channel != workflow.ChannelSMS {
		channel = "other"
	}
	switch outcome {
	case notify.AttemptDelivered:
		m.delivered.WithLabelValues(channel).Inc()
	case notify.AttemptRetry:
		m.retries.WithLabelValues(channel).Inc()
	default:
		m.failed.WithLabelValues(channel).Inc()
	}
}

// methods are the method labels; any other method is "other", so a client
// cannot make new series by inventing methods.
var methods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true}

// HTTP is the middleware that counts and times every request by route
// pattern (gin's FullPath: "/admin/users/:id", never the path itself).
func (m *Metrics) HTTP() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = unmatchedRoute
		}
		method := c.Request.Method
		if !methods[method] {
			method = "other"
		}
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// Handler serves the registry at /metrics and nothing else. A collector that
// fails (the database does not answer) leaves its series out and is logged;
// the rest is served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	return mux
}

// poolCollector reads pgxpool's statistics at scrape time.
type poolCollector struct {
	pool                                               *pgxpool.Pool
	acquired, idle, constructing, total, max           *prometheus.Desc
	acquires, acquireSeconds, emptyAcquires, cancelled *prometheus.Desc
	newConns                                           *prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("tokenportal_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{pool: pool,
		acquired:       d("acquired_conns", "Connections of the database pool in use now."),
		idle:           d("idle_conns", "Connections of the database pool idle now."),
		constructing:   d("constructing_conns", "Connections of the database pool being opened now."),
		total:          d("total_conns", "Connections of the database pool now (acquired, idle and being opened)."),
		max:            d("max_conns", "Most connections the database pool opens."),
		acquires:       d("acquires_total", "Connections taken from the database pool."),
		acquireSeconds: d("acquire_duration_seconds_total", "Time spent waiting for connections of the database pool."),
		emptyAcquires:  d("empty_acquires_total", "Connections taken from the database pool that had to wait: none was idle."),
		cancelled:      d("canceled_acquires_total", "Waits for a connection of the database pool given up (the request ended first)."),
		newConns:       d("new_conns_total", "Connections the database pool opened."),
	}
}

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.acquired, p.idle, p.constructing, p.total, p.max,
		p.acquires, p.acquireSeconds, p.emptyAcquires, p.cancelled, p.newConns} {
		ch <- d
	}
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(p.acquired, float64(s.AcquiredConns()))
	gauge(p.idle, float64(s.IdleConns()))
	gauge(p.constructing, float64(s.ConstructingConns()))
	gauge(p.total, float64(s.TotalConns()))
	gauge(p.max, float64(s.MaxConns()))
	counter(p.acquires, float64(s.AcquireCount()))
	counter(p.acquireSeconds, s.AcquireDuration().Seconds())
	counter(p.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(p.cancelled, float64(s.CanceledAcquireCount()))
	counter(p.newConns, float64(s.NewConnsCount()))
}

// stateCollector reads what the database holds at scrape time: open user
// issues and messages waiting for delivery, the same on every instance.
type stateCollector struct{ st workflow.Store }

var (
	openIssuesDesc = prometheus.NewDesc("tokenportal_open_issues",
		"User issues waiting for the helpdesk, by kind: restore (restore-access requests), enrolment (new tokens waiting for approval).",
		[]string{"kind"}, nil)
	queuedDesc = prometheus.NewDesc("tokenportal_messages_queued",
		"Mails and SMS in the queue not yet delivered nor given up (waiting, being sent, or due for a retry), by channel.",
		[]string{"channel"}, nil)
)

func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openIssuesDesc
	ch <- queuedDesc
}

func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if byKind, err := s.st.OpenIssuesByKind(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(openIssuesDesc, err)
	} else {
		for _, kind := range []string{workflow.IssueRestore, workflow.IssueEnrolment} {
			ch <- prometheus.MustNewConstMetric(openIssuesDesc, prometheus.GaugeValue, float64(byKind[kind]), kind)
		}
	}
	queued, err := s.st.QueuedMessages(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queuedDesc, err)
		return
	}
	other := 0
	for c, n := range queued {
		if c != workflow.ChannelEmail && c != workflow.ChannelSMS {
			other += n
		}
	}
	for _, c := range channels {
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(queued[c]), c)
	}
	if other > 0 {
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(other), "other")
	}
}

// serveMetrics serves the metrics on addr until ctx ends.
func (a *App) serveMetrics(ctx context.Context, addr string, grace time.Duration) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           a.Metrics.Handler(a.Log),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	return runUntil(ctx, srv.ListenAndServe, srv.Shutdown, http.ErrServerClosed, grace, a.Log.With("server", "metrics"))
}
