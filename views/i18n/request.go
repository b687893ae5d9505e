package i18n

import (
	"net/http"
	"strings"
	"time"

	"tokenportal/workflow"
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
	return match(r.Header.Get("Accept-Language"))
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

// Switch answers the switcher's POST: the choice is kept in the cookie and,
// through store (nil when nobody is signed in), on the signed-in person;
// then back to the page, or to fallback when the page named is not on this
// site. An unknown language changes nothing and is the error returned.
func Switch(w http.ResponseWriter, r *http.Request, secure bool, fallback string, store func(lang string) error) (next string, err error) {
	lang := r.PostFormValue("lang")
	if !Supported(lang) {
		return "", workflow.Fail(workflow.CodeBadRequest, workflow.M("lang.unknown"))
	}
	if store != nil {
		if err := store(lang); err != nil {
			return "", err
		}
	}
	Remember(w, lang, secure)
	return LocalPath(r.PostFormValue("return_to"), fallback), nil
}
