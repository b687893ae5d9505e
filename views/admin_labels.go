package views

import (
	"context"
	"strings"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
)

// Words of the console for the names the core stores: events, actors,
// roles and user agents.

// EventLabel is an event of the activity log for people ("Token enabled");
// an event the catalogs do not know keeps its name. Filters and addresses
// keep the name.
func EventLabel(ctx context.Context, event string) string {
	id := "event." + event
	if s := i18n.T(ctx, id); s != id {
		return s
	}
	return event
}

// RoleLabel is an admin's or API key's role for people.
func RoleLabel(ctx context.Context, role string) string {
	switch role {
	case string(workflow.RoleSuperadmin):
		return i18n.T(ctx, "console.layout.role_superadmin")
	case string(workflow.RoleHelpdesk):
		return i18n.T(ctx, "console.layout.role_helpdesk")
	case string(workflow.RoleOwner):
		return i18n.T(ctx, "console.layout.role_owner")
	case string(workflow.RoleValidate):
		return i18n.T(ctx, "console.layout.role_validate")
	}
	return role
}

// ActorLabel names who caused an activity once: "alice (admin)", or the
// kind alone when the name says nothing more ("system").
func ActorLabel(ctx context.Context, a workflow.Actor) string {
	kind := actorKind(ctx, a.Type)
	if a.Name == "" || strings.EqualFold(a.Name, a.Type) || strings.EqualFold(a.Name, kind) {
		return kind
	}
	return i18n.T(ctx, "console.activities.actor_named", "Name", a.Name, "Kind", kind)
}

func actorKind(ctx context.Context, kind string) string {
	switch kind {
	case workflow.ActorUser:
		return i18n.T(ctx, "console.activities.actor_user")
	case workflow.ActorAdmin:
		return i18n.T(ctx, "console.activities.actor_admin")
	case workflow.ActorAPIKey:
		return i18n.T(ctx, "console.activities.actor_apikey")
	case workflow.ActorSystem:
		return i18n.T(ctx, "console.activities.actor_system")
	}
	return kind
}

// Agent is a User-Agent header shortened to what people recognise.
type Agent struct {
	Browser string // "Firefox", or a tool such as "curl"; "" when unknown
	Version string // the major version, when known
	System  string // "Windows", "Android", ...; "" when unknown
}

// ParseAgent shortens a User-Agent header: the browser family and system
// of workflow.ParseUserAgent with the browser's major version, or the
// program's name for tools (curl, Wget, python-requests).
func ParseAgent(ua string) Agent {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return Agent{}
	}
	var a Agent
	a.Browser, a.System = workflow.ParseUserAgent(ua)
	if a.Browser != "" {
		a.Version = agentVersion(ua, agentTokens[a.Browser])
		return a
	}
	if strings.HasPrefix(ua, "Mozilla/") {
		return a
	}
	// A tool: its product token, without the version.
	name, _, _ := strings.Cut(ua, " ")
	name, _, _ = strings.Cut(name, "/")
	a.Browser, a.System = Shorten(name, 40), ""
	return a
}

// agentTokens are the product tokens that carry a browser's version.
var agentTokens = map[string][]string{
	"Edge":    {"Edg/", "Edge/", "EdgA/", "EdgiOS/"},
	"Opera":   {"OPR/", "OPiOS/", "Opera/"},
	"Firefox": {"Firefox/", "FxiOS/"},
	"Chrome":  {"Chrome/", "CriOS/", "Chromium/"},
	"Safari":  {"Version/"},
}

// agentVersion is the major version after the first of tokens in ua.
func agentVersion(ua string, tokens []string) string {
	for _, t := range tokens {
		i := strings.Index(ua, t)
		if i < 0 {
			continue
		}
		v := ua[i+len(t):]
		end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
		if end < 0 {
			end = len(v)
		}
		if end > 0 && end <= 6 {
			return v[:end]
		}
	}
	return ""
}

// AgentLabel says a User-Agent header in words: "Firefox 133 on Windows",
// "Chrome on Android", "curl"; "" for none.
func AgentLabel(ctx context.Context, ua string) string {
	if strings.TrimSpace(ua) == "" {
		return ""
	}
	a := ParseAgent(ua)
	browser := a.Browser
	if browser == "" {
		browser = i18n.T(ctx, "console.activities.agent_unknown")
	} else if a.Version != "" {
		browser += " " + a.Version
	}
	if a.System == "" {
		return browser
	}
	return i18n.T(ctx, "console.activities.agent_on", "Browser", browser, "System", a.System)
}

// languageName is a user's language (en, de, nl) in words.
func languageName(ctx context.Context, lang string) string {
	for _, o := range LanguageChoices(ctx) {
		if o.Value == lang {
			return o.Label
		}
	}
	return lang
}
