// Package i18n is the product's languages (SPEC §13): the message catalogs
// (one file per language, English the source), the language of a request,
// and the translation of messages, dates and numbers at rendering.
//
// Pages call T(ctx, id, args...) with the request's context; the core's
// messages (workflow.Msg, carried by workflow.Error) are translated with Msg,
// ErrorMessage and ErrorFields. API answers use English.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"tokenportal/workflow"
)

// Langs are the languages the product speaks, English (the source) first.
var Langs = []string{"en", "de", "nl"}

// Source is the language the catalogs' source text is written in.
const Source = "en"

//go:embed catalog/*.toml
var files embed.FS

var (
	loadOnce   sync.Once
	bundle     *goi18n.Bundle
	localizers map[string]*goi18n.Localizer
	matcher    = language.NewMatcher([]language.Tag{language.English, language.German, language.Dutch})
)

func load() {
	bundle = goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(files, "catalog/*.toml")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		if _, err := bundle.ParseMessageFileBytes(b, name); err != nil {
			panic(fmt.Sprintf("i18n: %s: %v", name, err))
		}
	}
	localizers = map[string]*goi18n.Localizer{}
	for _, l := range Langs {
		localizers[l] = goi18n.NewLocalizer(bundle, l, Source)
	}
}

// Supported reports whether the product speaks lang.
func Supported(lang string) bool {
	for _, l := range Langs {
		if l == lang {
			return true
		}
	}
	return false
}

// Match picks the language of an Accept-Language header; English when the
// header names none of ours.
func Match(acceptLanguage string) string {
	l, _ := match(acceptLanguage)
	return l
}

// match is Match, and whether the header named one of the product's
// languages (English included) rather than falling back to English.
func match(acceptLanguage string) (string, bool) {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Source, false
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return Source, false
	}
	return Langs[i], true
}

type langKey struct{}

// WithLang returns ctx carrying the language pages are rendered in.
func WithLang(ctx context.Context, lang string) context.Context {
	if !Supported(lang) {
		lang = Source
	}
	return context.WithValue(ctx, langKey{}, lang)
}

// Lang is the language of ctx; English when none was chosen.
func Lang(ctx context.Context) string {
	if ctx != nil {
		if l, ok := ctx.Value(langKey{}).(string); ok {
			return l
		}
	}
	return Source
}

// T translates message id into the language of ctx. args are key/value
// pairs filling the message's placeholders ({{.Name}}); a "Count" argument
// also picks the plural form.
func T(ctx context.Context, id string, args ...any) string { return In(Lang(ctx), id, args...) }

// In translates message id into lang. An argument that is a workflow.Msg
// is translated too.
func In(lang, id string, args ...any) string {
	loadOnce.Do(load)
	loc := localizers[lang]
	if loc == nil {
		loc = localizers[Source]
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k, _ := args[i].(string)
			data[k] = args[i+1]
			if m, ok := args[i+1].(workflow.Msg); ok {
				data[k] = MsgIn(lang, m) // a message inside a message
			}
			if k == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := loc.Localize(cfg)
	if err != nil {
		// A missing id is a bug the catalog tests catch; show the id rather
		// than nothing.
		slog.Error("i18n: message missing", "id", id, "lang", lang, "err", err)
		if s == "" {
			return id
		}
	}
	return s
}

// Msg translates a message of the core into the language of ctx.
func Msg(ctx context.Context, m workflow.Msg) string { return MsgIn(Lang(ctx), m) }

// MsgIn translates a message of the core into lang.
func MsgIn(lang string, m workflow.Msg) string {
	if m.ID == "" {
		return ""
	}
	return In(lang, m.ID, m.Args...)
}

// English is a message of the core in English: what API answers carry.
func English(m workflow.Msg) string { return MsgIn(Source, m) }

// ErrorMessage is the message of err for the person who made the request,
// in the language of ctx.
func ErrorMessage(ctx context.Context, err error) string {
	return Msg(ctx, workflow.ErrorMsg(err))
}

// ErrorFields are the field errors of err in the language of ctx; nil when
// it has none.
func ErrorFields(ctx context.Context, err error) map[string]string {
	return Fields(Lang(ctx), workflow.ErrorFieldMsgs(err))
}

// Fields translates field errors into lang.
func Fields(lang string, f map[string]workflow.Msg) map[string]string {
	if len(f) == 0 {
		return nil
	}
	out := make(map[string]string, len(f))
	for k, m := range f {
		out[k] = MsgIn(lang, m)
	}
	return out
}

// Name is a language's own name ("Deutsch"), as the switcher shows it.
func Name(lang string) string {
	switch lang {
	case "de":
		return "Deutsch"
	case "nl":
		return "Nederlands"
	}
	return "English"
}

type switchKey struct{}

// Switcher is where the language switcher of a page posts and the page to
// return to afterwards.
type Switcher struct {
	Action string
	Next   string
}

// WithSwitcher returns ctx carrying the language switcher of its pages.
func WithSwitcher(ctx context.Context, s Switcher) context.Context {
	return context.WithValue(ctx, switchKey{}, s)
}

// SwitcherOf is the switcher of ctx; the site-wide one (POST /language back
// to the start page) when none was set.
func SwitcherOf(ctx context.Context) Switcher {
	if s, ok := ctx.Value(switchKey{}).(Switcher); ok {
		return s
	}
	return Switcher{Action: "/language", Next: "/"}
}
