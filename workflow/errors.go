package workflow

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an Error; handlers map it to an HTTP status.
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
)

// Error is the one application error type. Message is safe to show to the
// person who made the request; Err (the cause) is only ever logged.
type Error struct {
	Code    Code
	Message string
	// Fields maps form or JSON field names to what is wrong with them.
	Fields map[string]string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure; the person sees a generic message.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "Something went wrong on our side. Please try again.", Err: err}
}

// Invalid reports input that failed validation, field by field.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: CodeInvalid, Message: "Please correct the highlighted fields.", Fields: fields}
}

// ErrorCode returns the Code of err, CodeInternal for foreign errors.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the user-safe message of err; foreign errors get the
// generic message so internals never reach a page.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return Internal(err).Message
}

// ErrorFields returns the field errors of err, if any.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// HTTPStatus maps the Code of err to the status both the HTML pages and the
// JSON API answer with.
func HTTPStatus(err error) int {
	switch ErrorCode(err) {
	case CodeInvalid:
		return http.StatusUnprocessableEntity
	case CodeNotFound:
		return http.StatusNotFound
	case CodeConflict:
		return http.StatusConflict
	case CodeForbidden:
		return http.StatusForbidden
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeTooMany:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}
