package i18n

import (
	"net/http"
	"strings"
	"time"
)

// CookieName is the cookie that keeps the language picked in the switcher.
const CookieName = "lang"

// FromRequest is the language a request asks for: the switcher's cookie,
// else Accept-Language, else English. explicit is false when neither named
// one of the product's languages.
func FromRequest(r *http.Request) (lang string, explicit bool) {
	if c, err := r.Cookie(CookieName); err == nil && Supported(c.Value) {
		return c.Value, true
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		l := Match(h)
		return l, l != Source || strings.Contains(strings.ToLower(h), "en")
	}
	return Source, false
}

// Choice is what the switcher posted: the language and the page to return
// to.
type Choice struct {
	Lang string
	Next string
}

// ReadChoice reads the switcher's form. ok is false for a language the
// product does not speak. Next is always a path on this site.
func ReadChoice(r *http.Request) (Choice, bool) {
	l := r.PostFormValue("lang")
	return Choice{Lang: l, Next: LocalPath(r.PostFormValue("return_to"), "/")}, Supported(l)
}

// Remember sets the switcher's cookie for a year.
func Remember(w http.ResponseWriter, lang string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: lang, Path: "/", MaxAge: int(365 * 24 * time.Hour / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// LocalPath is p when it is a path on this site (so a redirect to it stays
// here), else fallback.
func LocalPath(p, fallback string) string {
	if p == "" || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return fallback
	}
	return p
}

// Localize returns r carrying the language it asks for (FromRequest) and the
// site-wide switcher; the portal and the console then put the signed-in
// person's language (Use) and their own switcher (SwitchAt) over it.
func Localize(r *http.Request) *http.Request {
	lang, _ := FromRequest(r)
	ctx := WithLang(r.Context(), lang)
	return r.WithContext(WithSwitcher(ctx, Switcher{Action: "/language", Next: r.URL.RequestURI()}))
}

// Use returns r rendered in lang, when lang is one of ours.
func Use(r *http.Request, lang string) *http.Request {
	if !Supported(lang) || lang == Lang(r.Context()) {
		return r
	}
	return r.WithContext(WithLang(r.Context(), lang))
}

// SwitchAt returns r whose language switcher posts to action.
func SwitchAt(r *http.Request, action string) *http.Request {
	return r.WithContext(WithSwitcher(r.Context(), Switcher{Action: action, Next: r.URL.RequestURI()}))
}
