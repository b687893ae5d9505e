package views_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokenportal/views"
	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// eventNames are the values of every Event… constant in workflow/events.go.
func eventNames(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../workflow/events.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, id := range spec.Names {
			if !strings.HasPrefix(id.Name, "Event") || i >= len(spec.Values) {
				continue
			}
			if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				names = append(names, v)
			}
		}
		return true
	})
	return names
}

// TestEveryEventHasALabel: each event of the activity log has a catalog
// entry event.<Name> in every language, so Activities shows words, not
// CamelCase (issue 15).
func TestEveryEventHasALabel(t *testing.T) {
	names := eventNames(t)
	if len(names) < 60 {
		t.Fatalf("found %d events in workflow/events.go: the scan is broken", len(names))
	}
	for _, e := range workflow.ActivityEvents {
		if !slices.Contains(names, e) {
			t.Errorf("ActivityEvents lists %s, not a constant of events.go", e)
		}
	}
	camel := regexp.MustCompile(`^([A-Z][a-z]+){2,}$`)
	for _, e := range names {
		for _, lang := range i18n.Langs {
			ctx := i18n.WithLang(context.Background(), lang)
			label := views.EventLabel(ctx, e)
			if label == e || camel.MatchString(label) {
				t.Errorf("%s: event %s has no label (%q)", lang, e, label)
			}
		}
	}
	de := i18n.WithLang(context.Background(), "de")
	nl := i18n.WithLang(context.Background(), "nl")
	if got := views.EventLabel(context.Background(), workflow.EventTokenEnabled); got != "Token enabled" {
		t.Errorf("en: %q", got)
	}
	if got := views.EventLabel(de, workflow.EventTokenEnabled); got != "Token aktiviert" {
		t.Errorf("de: %q", got)
	}
	if got := views.EventLabel(nl, workflow.EventTokenEnabled); got != "Token ingeschakeld" {
		t.Errorf("nl: %q", got)
	}
	if got := views.EventLabel(de, "SomethingNew"); got != "SomethingNew" {
		t.Errorf("an unknown event keeps its name: %q", got)
	}
}

func TestParseAgent(t *testing.T) {
	for _, tc := range []struct {
		name, ua, want string
	}{
		{"Firefox on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133 on Windows"},
		{"Chrome on Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36", "Chrome 131 on Android"},
		{"Safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 on iOS"},
		{"Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.51", "Edge 131 on Windows"},
		{"Chrome on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/130.0.6723.90 Mobile/15E148 Safari/604.1", "Chrome 130 on iOS"},
		{"Firefox on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox 132 on macOS"},
		{"Firefox on Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 on Linux"},
		{"curl", "curl/8.5.0", "curl"},
		{"Wget", "Wget/1.21.4", "Wget"},
		{"python-requests", "python-requests/2.32.3", "python-requests"},
		{"unknown browser", "Mozilla/5.0 (Windows NT 10.0) Something/1", "Unknown browser on Windows"},
		{"none", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := views.AgentLabel(context.Background(), tc.ua); got != tc.want {
				t.Errorf("AgentLabel(%q) = %q, want %q", tc.ua, got, tc.want)
			}
		})
	}
	de := i18n.WithLang(context.Background(), "de")
	if got := views.AgentLabel(de, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"); got != "Firefox 133 unter Windows" {
		t.Errorf("de: %q", got)
	}
	nl := i18n.WithLang(context.Background(), "nl")
	if got := views.AgentLabel(nl, "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36"); got != "Chrome 131 op Android" {
		t.Errorf("nl: %q", got)
	}
}

// TestActorLabel: an actor is named once, with its kind: never "admin
// admin".
func TestActorLabel(t *testing.T) {
	ctx := context.Background()
	de := i18n.WithLang(ctx, "de")
	for _, tc := range []struct {
		ctx   context.Context
		actor workflow.Actor
		want  string
	}{
		{ctx, workflow.Actor{Type: workflow.ActorAdmin, Name: "alice"}, "alice (admin)"},
		{ctx, workflow.Actor{Type: workflow.ActorAdmin, Name: "admin"}, "admin"},
		{ctx, workflow.SystemActor, "system"},
		{ctx, workflow.Actor{Type: workflow.ActorUser}, "user"},
		{ctx, workflow.Actor{Type: workflow.ActorAPIKey, Name: "bridge"}, "bridge (API key)"},
		{de, workflow.Actor{Type: workflow.ActorAdmin, Name: "alice"}, "alice (Admin)"},
		{de, workflow.SystemActor, "System"},
	} {
		if got := views.ActorLabel(tc.ctx, tc.actor); got != tc.want {
			t.Errorf("%s: ActorLabel(%+v) = %q, want %q", i18n.Lang(tc.ctx), tc.actor, got, tc.want)
		}
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang string
		ago  time.Duration
		want string
	}{
		{"en", 10 * time.Second, "just now"},
		{"en", time.Minute, "1 minute ago"},
		{"en", 3 * time.Minute, "3 minutes ago"},
		{"en", time.Hour, "1 hour ago"},
		{"en", 50 * time.Hour, "2 days ago"},
		{"de", 3 * time.Minute, "vor 3 Minuten"},
		{"de", 24 * time.Hour, "vor 1 Tag"},
		{"de", 30 * time.Second, "gerade eben"},
		{"nl", 3 * time.Minute, "3 minuten geleden"},
		{"nl", time.Minute, "1 minuut geleden"},
		{"nl", 72 * time.Hour, "3 dagen geleden"},
	} {
		ctx := i18n.WithLang(context.Background(), tc.lang)
		if got := views.Age(ctx, now, now.Add(-tc.ago)); got != tc.want {
			t.Errorf("%s, %s ago: %q, want %q", tc.lang, tc.ago, got, tc.want)
		}
	}
}

// TestConsoleWordsTranslated: the words built from names (navigation,
// pager nouns, roles, request statuses) exist in every language.
func TestConsoleWordsTranslated(t *testing.T) {
	for _, lang := range i18n.Langs {
		ctx := i18n.WithLang(context.Background(), lang)
		for _, item := range (views.AdminChrome{Role: workflow.RoleSuperadmin}).Nav(ctx) {
			if strings.HasPrefix(item.Label, "console.") {
				t.Errorf("%s: nav %s has no label", lang, item.Section)
			}
		}
		for _, noun := range views.PagerNouns {
			id := "console.layout.pager_" + noun
			if s := i18n.T(ctx, id, "Count", 2, "N", "2"); s == id || !strings.HasPrefix(s, "2 ") {
				t.Errorf("%s: pager of %s says %q", lang, noun, s)
			}
		}
		for _, r := range []workflow.Role{workflow.RoleSuperadmin, workflow.RoleHelpdesk, workflow.RoleOwner, workflow.RoleValidate} {
			if views.RoleLabel(ctx, string(r)) == "" {
				t.Errorf("%s: role %s has no label", lang, r)
			}
		}
		for _, k := range views.AuthenticatorKinds {
			for _, e := range views.Evidences {
				if l := (views.Authenticator{Kind: k, Evidence: e}).Label(ctx); strings.Contains(l, "console.") {
					t.Errorf("%s: %s/%s says %q", lang, k, e, l)
				}
			}
		}
	}
	if got := (views.Pager{Total: 1, Noun: "requests"}).Summary(context.Background()); got != "1 request" {
		t.Errorf("pager %q", got)
	}
	if got := (views.Pager{Total: 1234, Noun: "users"}).Summary(i18n.WithLang(context.Background(), "de")); got != "1.234 Benutzer" {
		t.Errorf("pager %q", got)
	}
}

// TestConsoleStylesheet checks the layout decisions of issue 15 on the
// stylesheet, where no browser is needed: the header wraps and stacks on a
// phone; a visually hidden element is clipped and takes no room (the
// dashboard's chart tables are wrapped in one, a table ignoring height);
// the User Issues cells wrap while the row's actions do not.
func TestConsoleStylesheet(t *testing.T) {
	b, err := os.ReadFile("../assets/app.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	rule := func(selector string) string {
		t.Helper()
		i := strings.Index(css, "\n"+selector+" {")
		if i < 0 {
			i = strings.Index(css, "  "+selector+" {")
		}
		if i < 0 {
			t.Fatalf("no rule %q", selector)
		}
		body := css[i:]
		return body[:strings.Index(body, "}")]
	}
	for _, c := range []struct{ selector, want string }{
		{".admin-top", "flex-wrap: wrap"},
		{".admin-top .who", "flex-wrap: wrap"},
		{".visually-hidden", "position: absolute"},
		{".visually-hidden", "overflow: hidden"},
		{".visually-hidden", "clip-path: inset(50%)"},
		{".visually-hidden", "height: 1px"},
		{"table.issues td, table.issues tbody th", "overflow-wrap: anywhere"},
		{"table.issues td.row-actions, table.issues thead th, table.issues .tag", "overflow-wrap: normal"},
		{"table.issues .tag", "white-space: nowrap"},
		{".row-actions", "white-space: nowrap"},
	} {
		if !strings.Contains(rule(c.selector), c.want) {
			t.Errorf("%s lacks %q: %s", c.selector, c.want, rule(c.selector))
		}
	}
	phone := css[strings.Index(css, "@media (max-width: 36rem) {\n  .admin-top"):]
	if !strings.Contains(phone[:strings.Index(phone, "\n}")], ".admin-top { flex-direction: column;") {
		t.Error("the header does not stack on a phone")
	}
	if strings.Contains(css, "table.visually-hidden") {
		t.Error("a table is hidden by its own class: it still takes its height")
	}
}
