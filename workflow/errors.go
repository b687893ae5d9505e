package workflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
)

// Code classifies an Error; the handlers' one renderer (views) maps it to an
// HTTP status.
type Code string

const (
	CodeInvalid         Code = "invalid"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodeForbidden       Code = "forbidden"
	CodeUnauthenticated Code = "unauthenticated"
	CodeUnavailable     Code = "unavailable"
	CodeTooMany         Code = "too_many_requests"
	CodeInternal        Code = "internal"
	// CodeBadRequest: the request itself cannot be read (malformed JSON, a
	// wrong type, text that cannot be stored); CodeTooLarge: its body is
	// over the limit of the route.
	CodeBadRequest Code = "bad_request"
	CodeTooLarge   Code = "too_large"
)

// Msg is text for people as an id in the catalogs (views/i18n) and the
// values of its placeholders, as key/value pairs: M("issue.handled",
// "Status", s). The core says what happened; the views say it in the
// reader's language. Only messages are shown to people; the text of a
// foreign error (err.Error()) is logged, never shown. A value that is
// itself a Msg is translated too.
type Msg struct {
	ID   string
	Args []any
}

// M builds a Msg.
func M(id string, args ...any) Msg { return Msg{ID: id, Args: args} }

// String is the id and arguments of m, for logs (the English text is the
// views' to render).
func (m Msg) String() string {
	if len(m.Args) == 0 {
		return m.ID
	}
	return fmt.Sprintf("%s%v", m.ID, m.Args)
}

// Fail builds an Error with a message from the catalogs.
func Fail(code Code, m Msg) *Error { return &Error{Code: code, Msg: m} }

// FieldsInvalid reports input that failed validation, field by field.
func FieldsInvalid(f map[string]Msg) *Error {
	return &Error{Code: CodeInvalid, Msg: M("error.invalid"), FieldMsgs: f}
}

// ErrorMsg is the message of err for the person who made the request;
// foreign errors get the generic message so internals never reach a page.
func ErrorMsg(err error) Msg { return appError(err).Msg }

// ErrorFieldMsgs are the field errors of err, if any.
func ErrorFieldMsgs(err error) map[string]Msg { return appError(err).FieldMsgs }

// Error is the one application error type. Msg is shown to the person who
// made the request; Err (the cause) is only ever logged.
type Error struct {
	Code Code
	Msg  Msg
	// FieldMsgs maps form or JSON field names to what is wrong with them.
	FieldMsgs map[string]Msg
	Err       error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Code, e.Msg)
	if len(e.FieldMsgs) > 0 {
		keys := slices.Sorted(maps.Keys(e.FieldMsgs))
		for i, k := range keys {
			keys[i] = fmt.Sprintf("%s: %s", k, e.FieldMsgs[k])
		}
		s += " (" + strings.Join(keys, "; ") + ")"
	}
	if e.Err != nil {
		s += fmt.Sprintf(": %v", e.Err)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Internal wraps an unexpected failure; the person sees a generic message.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Msg: M("error.internal"), Err: err}
}

// Unavailable wraps a failure to reach what the operation needs (the
// database, mostly): nothing is wrong with the request, and the same request
// a moment later may well succeed.
func Unavailable(err error) *Error {
	return &Error{Code: CodeUnavailable, Msg: M("error.unavailable"), Err: err}
}

// subjects are the ids naming what is looked for (NotFound, the store's
// answers).
var subjects = map[string]string{
	"A directory user":     "error.subject.directory_user",
	"A group's resource":   "error.subject.group_resource",
	"The API key":          "error.subject.apikey",
	"The RADIUS client":    "error.subject.radius_client",
	"The RADIUS state":     "error.subject.radius_state",
	"The admin":            "error.subject.admin",
	"The code":             "error.subject.code",
	"The directory":        "error.subject.directory",
	"The portal action":    "error.subject.portal_action",
	"The portal":           "error.subject.portal",
	"The request":          "error.subject.request",
	"The resource":         "error.subject.resource",
	"The token":            "error.subject.token",
	"The user or resource": "error.subject.user_or_resource",
	"The user":             "error.subject.user",
}

// Subject names what ("The user") in words; an unknown what (a bug) shows as it is.
func Subject(what string) Msg {
	if id, ok := subjects[what]; ok {
		return M(id)
	}
	return M("error.subject.other", "What", what)
}

// NotFound answers that what ("The user") was not found.
func NotFound(what string) *Error {
	return Fail(CodeNotFound, M("error.not_found", "What", Subject(what)))
}

// ErrorCode returns the Code of err: CodeInternal for foreign errors, except
// that a failure to reach the database is CodeUnavailable whether or not it
// was wrapped by Internal.
func ErrorCode(err error) Code { return appError(err).Code }

// IsFault reports whether err is a failure on the service's side (internal,
// or the database unreachable) rather than an answer to the request: such
// errors get the error page or are returned as they are, never shown as a
// problem with the input.
func IsFault(err error) bool {
	if err == nil {
		return false
	}
	code := ErrorCode(err)
	return code == CodeInternal || code == CodeUnavailable
}

// appError is err as the one app error type: its own *Error, unless that is
// Internal and the cause says the database could not be reached.
func appError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e
	}
	if err != nil && unreachable(err) {
		return Unavailable(err)
	}
	if e != nil {
		return e
	}
	return Internal(err)
}

// unreachable reports whether err says that a connection failed rather than
// the operation: refused or dropped, timed out, a server shutting down or
// starting up. It goes by behaviour (net.Error, SQLSTATE, SafeToRetry), so
// the core does not depend on the database driver.
func unreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		// Class 08 connection exception; 57P01-03 shutdown or start-up;
		// 53300 too many connections.
		state := pg.SQLState()
		if strings.HasPrefix(state, "08") || state == "57P01" || state == "57P02" || state == "57P03" || state == "53300" {
			return true
		}
	}
	// pgx marks the failures that happened before anything was sent.
	var retry interface{ SafeToRetry() bool }
	return errors.As(err, &retry) && retry.SafeToRetry()
}

// wrapInternal makes a store failure an internal error.
func wrapInternal(err error) error {
	if err == nil {
		return nil
	}
	return Internal(err)
}
